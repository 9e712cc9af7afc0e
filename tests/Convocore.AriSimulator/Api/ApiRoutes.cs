using System.Globalization;
using System.Text.Json;

namespace Convocore.AriSimulator;

/// <summary>One operation of the Swagger 1.1 API description files (path, method, parameters, since).</summary>
internal sealed record ApiOperation(
    string Method, string[] Segments, string Nickname, IReadOnlyList<AsteriskVersion> Since,
    IReadOnlyDictionary<string, ApiParameter> QueryParameters, ApiParameter? BodyParameter);

internal sealed record ApiParameter(
    string Name, bool Required, string DataType, bool AllowMultiple, IReadOnlyList<string>? AllowedValues, long? Min);

internal enum RouteMatch { Found, NotFound, MethodNotAllowed }

/// <summary>The routes a given Asterisk version serves, read from the captured api-docs.</summary>
internal sealed class ApiRoutes
{
    private static readonly Lazy<IReadOnlyList<ApiOperation>> AllOperations = new(LoadOperations);
    private readonly ApiOperation[] _operations;

    public ApiRoutes(AsteriskVersion version) =>
        _operations = AllOperations.Value.Where(o => version.Supports(o.Since)).ToArray();

    public static IReadOnlyList<ApiOperation> All => AllOperations.Value;

    public RouteMatch Match(string method, string[] segments, out ApiOperation? operation)
    {
        operation = null;
        var pathFound = false;
        foreach (var candidate in _operations)
        {
            if (!SegmentsMatch(candidate.Segments, segments)) continue;
            pathFound = true;
            if (!string.Equals(candidate.Method, method, StringComparison.OrdinalIgnoreCase)) continue;
            operation = candidate;
            return RouteMatch.Found;
        }
        return pathFound ? RouteMatch.MethodNotAllowed : RouteMatch.NotFound;
    }

    private static bool SegmentsMatch(string[] template, string[] segments)
    {
        if (template.Length != segments.Length) return false;
        for (var i = 0; i < template.Length; i++)
        {
            if (template[i].StartsWith('{')) continue;
            if (!string.Equals(template[i], segments[i], StringComparison.Ordinal)) return false;
        }
        return true;
    }

    /// <summary>Checks query and body against the operation; returns the 400 message or null.</summary>
    public static string? Validate(
        ApiOperation operation, IReadOnlyList<KeyValuePair<string, string>> query, string? body, bool rejectUnknown)
    {
        foreach (var (name, value) in query)
        {
            if (name == "api_key") continue;
            if (!operation.QueryParameters.TryGetValue(name, out var parameter))
            {
                if (rejectUnknown) return $"Unknown query parameter '{name}'";
                continue;
            }
            var values = parameter.AllowMultiple ? value.Split(',') : [value];
            foreach (var single in values)
                if (InvalidValue(parameter, single) is { } error) return error;
        }

        foreach (var parameter in operation.QueryParameters.Values)
        {
            if (parameter.Required && !query.Any(q => q.Key == parameter.Name && q.Value.Length > 0))
                return $"Missing required parameter '{parameter.Name}'";
        }

        if (operation.BodyParameter is { Required: true } bodyParameter && !BodyHasObject(body, bodyParameter.Name))
            return $"Missing {bodyParameter.Name} parameter.";
        return null;
    }

    private static string? InvalidValue(ApiParameter parameter, string value)
    {
        var valid = parameter.DataType switch
        {
            "int" or "long" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number)
                && (parameter.Min is not { } min || number >= min),
            "boolean" => value is "true" or "false",
            _ => true,
        };
        if (valid && parameter.AllowedValues is { } allowed) valid = allowed.Contains(value);
        return valid ? null : $"Invalid value '{value}' for parameter '{parameter.Name}'";
    }

    private static bool BodyHasObject(string? body, string name)
    {
        if (string.IsNullOrWhiteSpace(body)) return false;
        try
        {
            using var document = JsonDocument.Parse(body);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty(name, out var value)
                && value.ValueKind == JsonValueKind.Object;
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static IReadOnlyList<ApiOperation> LoadOperations()
    {
        var directory = Path.Combine(Path.GetDirectoryName(typeof(ApiRoutes).Assembly.Location)!, "AriApiDocs");

        var operations = new List<ApiOperation>();
        foreach (var file in Directory.EnumerateFiles(directory, "*.json").Order(StringComparer.Ordinal))
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(file));
            foreach (var api in document.RootElement.GetProperty("apis").EnumerateArray())
            {
                var segments = api.GetProperty("path").GetString()!.Trim('/').Split('/');
                foreach (var operation in api.GetProperty("operations").EnumerateArray())
                    operations.Add(ReadOperation(segments, operation));
            }
        }
        return operations;
    }

    private static ApiOperation ReadOperation(string[] segments, JsonElement operation)
    {
        var since = operation.TryGetProperty("since", out var sinceElement)
            ? sinceElement.EnumerateArray().Select(v => AsteriskVersion.Parse(v.GetString()!)).ToArray()
            : [];
        var query = new Dictionary<string, ApiParameter>(StringComparer.Ordinal);
        ApiParameter? body = null;
        if (operation.TryGetProperty("parameters", out var parameters))
        {
            foreach (var p in parameters.EnumerateArray())
            {
                var parameter = ReadParameter(p);
                switch (p.GetProperty("paramType").GetString())
                {
                    case "query": query[parameter.Name] = parameter; break;
                    case "body": body = parameter; break;
                }
            }
        }
        return new ApiOperation(
            operation.GetProperty("httpMethod").GetString()!, segments, operation.GetProperty("nickname").GetString()!,
            since, query, body);
    }

    private static ApiParameter ReadParameter(JsonElement p)
    {
        IReadOnlyList<string>? allowed = null;
        long? min = null;
        if (p.TryGetProperty("allowableValues", out var allowable))
        {
            if (allowable.GetProperty("valueType").GetString() == "LIST")
                allowed = allowable.GetProperty("values").EnumerateArray().Select(v => v.GetString()!).ToArray();
            else if (allowable.TryGetProperty("min", out var minElement))
                min = minElement.GetInt64();
        }
        return new ApiParameter(
            p.GetProperty("name").GetString()!,
            p.TryGetProperty("required", out var required) && required.GetBoolean(),
            p.GetProperty("dataType").GetString()!,
            p.TryGetProperty("allowMultiple", out var multiple) && multiple.GetBoolean(),
            allowed, min);
    }
}
