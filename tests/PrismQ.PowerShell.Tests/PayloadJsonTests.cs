using System;
using System.Collections;
using System.Collections.Generic;
using System.Collections.Specialized;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

public sealed class PayloadJsonTests
{
    [Fact]
    public void Scalars_become_json_scalars()
    {
        Assert.Equal("null", PayloadJson.Serialize(null));
        Assert.Equal("\"a\\u0022b\"", PayloadJson.Serialize("a\"b"));
        Assert.Equal("42", PayloadJson.Serialize(42));
        Assert.Equal("-7", PayloadJson.Serialize(-7L));
        Assert.Equal("1.5", PayloadJson.Serialize(1.5));
        Assert.Equal("12.25", PayloadJson.Serialize(12.25m));
        Assert.Equal("true", PayloadJson.Serialize(true));
        Assert.Equal("\"Failed\"", PayloadJson.Serialize(TaskStatus.Failed));
        Assert.Equal("\"01:02:03\"", PayloadJson.Serialize(new TimeSpan(1, 2, 3)));
        Assert.Equal("\"2026-01-02T03:04:05.0000000Z\"", PayloadJson.Serialize(new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc)));
    }

    [Fact]
    public void Dictionaries_and_lists_nest_and_round_trip_in_order()
    {
        var inner = new Hashtable { ["x"] = 1 };
        var payload = new OrderedDictionary { ["name"] = "build", ["count"] = 3, ["tags"] = new object?[] { "a", 2, null, inner }, ["ok"] = false };
        string json = PayloadJson.Serialize(payload);
        Assert.Equal("{\"name\":\"build\",\"count\":3,\"tags\":[\"a\",2,null,{\"x\":1}],\"ok\":false}", json);

        var back = Assert.IsType<OrderedDictionary>(PayloadJson.Deserialize(json));
        Assert.Equal(new object[] { "name", "count", "tags", "ok" }, new ArrayList(back.Keys).ToArray());
        Assert.Equal("build", back["name"]);
        Assert.Equal(3, back["count"]);
        var tags = Assert.IsType<object?[]>(back["tags"]);
        Assert.Equal("a", tags[0]);
        Assert.Null(tags[2]);
        Assert.Equal(1, Assert.IsType<OrderedDictionary>(tags[3])["x"]);
        Assert.Equal(json, PayloadJson.Serialize(back));
    }

    [Fact]
    public void Numbers_read_back_as_int_long_or_double()
    {
        var values = Assert.IsType<object?[]>(PayloadJson.Deserialize("[1, 5000000000, 2.5]"));
        Assert.IsType<int>(values[0]);
        Assert.IsType<long>(values[1]);
        Assert.IsType<double>(values[2]);
    }

    private sealed class Host
    {
        public string Name { get; set; } = "web1";
        public int Port { get; set; } = 443;
        public Host? Next { get; set; }
        public string this[int i] => "indexers are skipped";
    }

    [Fact]
    public void Other_objects_are_taken_by_properties_to_the_documented_depth()
    {
        var chain = new Host { Name = "a", Next = new Host { Name = "b", Next = new Host { Name = "c", Next = new Host { Name = "d" } } } };
        string json = PayloadJson.Serialize(chain);
        // Three levels of properties, then the fourth object as its string form.
        Assert.StartsWith("{\"Name\":\"a\",\"Port\":443,\"Next\":{\"Name\":\"b\",\"Port\":443,\"Next\":{\"Name\":\"c\",\"Port\":443,\"Next\":\"", json);
        Assert.Contains(typeof(Host).FullName!.Replace("+", "\\u002B"), json);
        Assert.Equal(3, PayloadJson.ObjectPropertyDepth);
    }

    [Fact]
    public void A_cycle_is_refused_as_InvalidPayload()
    {
        var list = new ArrayList();
        list.Add(list);
        var ex = Assert.Throws<PrismQException>(() => PayloadJson.Serialize(list));
        Assert.Equal(PrismQErrorCode.InvalidPayload, ex.Code);
        Assert.Contains("64", ex.Message);
    }

    [Fact]
    public void NaN_is_refused_as_InvalidPayload()
    {
        var ex = Assert.Throws<PrismQException>(() => PayloadJson.Serialize(new List<double> { 1, double.NaN }));
        Assert.Equal(PrismQErrorCode.InvalidPayload, ex.Code);
        Assert.Contains("NaN", ex.Message);
    }

    [Fact]
    public void Unreadable_stored_json_is_InvalidPayload()
    {
        var ex = Assert.Throws<PrismQException>(() => PayloadJson.Deserialize("{nope"));
        Assert.Equal(PrismQErrorCode.InvalidPayload, ex.Code);
    }

    [Fact]
    public void Non_ASCII_text_is_stored_as_UTF8_not_as_escapes()
    {
        Assert.Equal("\"é ü 東京 Ж\"", PayloadJson.Serialize("é ü 東京 Ж"));
        string big = new string('é', 200_000);
        string json = PayloadJson.Serialize(new Hashtable { ["text"] = big });
        // 200,000 two-byte characters, their key and punctuation: about 400 KB, under the 1 MiB limit (escaped it was 1.2 MB).
        Assert.Equal(400_000 + "{\"text\":\"\"}".Length, System.Text.Encoding.UTF8.GetByteCount(json));
        Assert.Equal(big, ((OrderedDictionary)PayloadJson.Deserialize(json)!)["text"]);
    }

    [Fact]
    public void Quotes_control_characters_and_HTML_sensitive_characters_stay_escaped()
    {
        string json = PayloadJson.Serialize("a\"b\\c\n<tag>&'\u0001");
        Assert.DoesNotContain("<", json);
        Assert.DoesNotContain("\n", json.Replace("\\n", ""));
        Assert.Equal("a\"b\\c\n<tag>&'\u0001", PayloadJson.Deserialize(json));
    }

    [Fact]
    public void Secrets_are_refused_anywhere_in_a_payload()
    {
        using var secure = new System.Security.SecureString();
        secure.AppendChar('x');
        var network = new System.Net.NetworkCredential("user", "password");
        object[] payloads =
        {
            secure,
            new Hashtable { ["password"] = secure },
            new List<object?> { 1, new Hashtable { ["deep"] = new object[] { network } } },
        };
        foreach (object payload in payloads)
        {
            var ex = Assert.Throws<PrismQException>(() => PayloadJson.Serialize(payload));
            Assert.Equal(PrismQErrorCode.SecretInPayload, ex.Code);
            Assert.Contains("plain text", ex.Message, StringComparison.Ordinal);
            Assert.Contains("inside the handler", ex.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void A_secret_is_an_InvalidArgument_error_for_its_pipeline_item()
    {
        Assert.Equal(System.Management.Automation.ErrorCategory.InvalidArgument, ErrorMapping.CategoryOf(PrismQErrorCode.SecretInPayload));
        Assert.False(ErrorMapping.IsTerminating(PrismQErrorCode.SecretInPayload));
    }
}
