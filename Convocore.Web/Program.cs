using Convocore.Web;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddKeyedRedisClient("redis");
builder.UseOrleansClient();
builder.Services.AddHealthChecks().AddCheck<ClusterHealthCheck>("cluster");

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
