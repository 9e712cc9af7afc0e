var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddOrleansConfigurationDefaults(silo: true);
builder.AddKeyedRedisClient("redis");
builder.UseOrleans();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
