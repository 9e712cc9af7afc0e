using Aspire.Hosting.ApplicationModel;

/// <summary>
/// A local Asterisk for development, when the AppHost is given one: a bundle folder (with start.sh, such as
/// shared/asterisk) or an installed binary, through Convocore:Asterisk:Bundle / Convocore:Asterisk:Binary or the
/// CONVOCORE_ASTERISK_BUNDLE / CONVOCORE_ASTERISK_BIN environment variables. It runs in the foreground with the
/// repo's asterisk/ configs (SIP 127.0.0.1:5060, ARI 127.0.0.1:8088), so Ctrl+C stops it with the rest.
/// </summary>
internal static class LocalAsterisk
{
    public static IResourceBuilder<ExecutableResource>? AddLocalAsterisk(this IDistributedApplicationBuilder builder, string name)
    {
        var bundle = builder.Configuration["Convocore:Asterisk:Bundle"] ?? Environment.GetEnvironmentVariable("CONVOCORE_ASTERISK_BUNDLE");
        var binary = builder.Configuration["Convocore:Asterisk:Binary"] ?? Environment.GetEnvironmentVariable("CONVOCORE_ASTERISK_BIN");
        if (string.IsNullOrWhiteSpace(bundle) && string.IsNullOrWhiteSpace(binary)) return null;

        var repository = Path.GetFullPath(Path.Combine(builder.AppHostDirectory, ".."));
        var args = new List<string> { Path.Combine(repository, "asterisk", "run-local.sh") };
        // A relative path means relative to the repository, where ./run.sh is typed (dotnet run changes directory).
        if (!string.IsNullOrWhiteSpace(binary)) args.AddRange(["--bin", binary.Contains('/') ? Path.GetFullPath(binary, repository) : binary]);
        else args.AddRange(["--bundle", Path.GetFullPath(bundle!, repository)]);

        return builder.AddExecutable(name, "bash", repository, [.. args])
            // ARI answers only with credentials, so no HTTP health check: the silo reconnects until it is up.
            .WithEndpoint(port: 8088, targetPort: 8088, name: "ari", scheme: "http", isProxied: false);
    }

    /// <summary>Points the silo's Stasis app at the local Asterisk (the sample ARI user of asterisk/ari.conf).</summary>
    public static IResourceBuilder<ProjectResource> WithAsterisk(this IResourceBuilder<ProjectResource> silo, IResourceBuilder<ExecutableResource>? asterisk)
    {
        if (asterisk is null) return silo;
        return silo
            .WithEnvironment("Convocore__Asterisk__Servers__0__Name", "local")
            .WithEnvironment("Convocore__Asterisk__Servers__0__Region", "NA")
            .WithEnvironment("Convocore__Asterisk__Servers__0__AriUrl", asterisk.GetEndpoint("ari"))
            .WithEnvironment("Convocore__Asterisk__Servers__0__Username", "convocore")
            .WithEnvironment("Convocore__Asterisk__Servers__0__Password", "convocore")
            .WaitFor(asterisk);
    }
}
