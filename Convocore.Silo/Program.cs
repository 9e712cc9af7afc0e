using Convocore.Silo;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddOrleansConfigurationDefaults(silo: true);
builder.AddKeyedRedisClient("redis");
builder.UseOrleans();
builder.Services.AddConvocoreSilo();

var app = builder.Build();
app.MapDefaultEndpoints();
app.Run();
