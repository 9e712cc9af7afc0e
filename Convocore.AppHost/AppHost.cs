var builder = DistributedApplication.CreateBuilder(args);

var redis = builder.AddConvocoreRedis("redis");

var orleans = builder.AddOrleans("orleans")
    .WithClustering(RedisProvider.For(redis))
    .WithGrainStorage("Default", RedisProvider.For(redis))
    .WithReminders(RedisProvider.For(redis));

var asterisk = builder.AddLocalAsterisk("asterisk");

var silo = builder.AddProject<Projects.Convocore_Silo>("silo")
    .WithReference(orleans)
    .WithReference(redis)
    .WithAsterisk(asterisk)
    .WaitFor(redis);

builder.AddProject<Projects.Convocore_Web>("web")
    .WithReference(orleans.AsClient())
    .WithReference(redis)
    .WithHttpHealthCheck("/health")
    .WaitFor(silo);

builder.Build().Run();
