using System.Text.Json;

namespace Convocore.AriSimulator;

/// <summary>A RESTRequest message (events.json) received on the events WebSocket.</summary>
internal sealed record RestRequest(
    string TransactionId, string RequestId, string Method, string Uri,
    List<KeyValuePair<string, string>> QueryStrings, string? ContentType, string? MessageBody)
{
    /// <summary>Null for other message types and for requests missing a required field.</summary>
    public static RestRequest? Parse(ReadOnlySpan<byte> json)
    {
        var reader = new Utf8JsonReader(json);
        if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject) return null;

        string? type = null, transactionId = null, requestId = null, method = null, uri = null, contentType = null, body = null;
        var query = new List<KeyValuePair<string, string>>();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "type": type = reader.GetString(); break;
                case "transaction_id": transactionId = reader.GetString(); break;
                case "request_id": requestId = reader.GetString(); break;
                case "method": method = reader.GetString(); break;
                case "uri": uri = reader.GetString(); break;
                case "content_type": contentType = reader.GetString(); break;
                case "message_body": body = reader.GetString(); break;
                case "query_strings" when reader.TokenType == JsonTokenType.StartArray:
                    while (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        string? parameter = null, value = null;
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var field = reader.GetString();
                            reader.Read();
                            if (field == "name") parameter = reader.GetString();
                            else if (field == "value") value = reader.GetString();
                            else reader.Skip();
                        }
                        if (parameter is not null) query.Add(new(parameter, value ?? ""));
                    }
                    break;
                default: reader.Skip(); break;
            }
        }

        return type == "RESTRequest" && transactionId is not null && requestId is not null && method is not null && uri is not null
            ? new RestRequest(transactionId, requestId, method, uri, query, contentType, body)
            : null;
    }
}
