using Convocore.Web;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddOrleansConfigurationDefaults(silo: false);
builder.AddKeyedRedisClient("redis");
builder.UseOrleansClient();
builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster");

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
