using System;
using System.Collections;
using System.Text;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

public sealed class PayloadJsonWriterTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(-7)]
    [InlineData(int.MinValue)]
    [InlineData(int.MaxValue)]
    public void An_int_is_its_digits_with_its_byte_count(int value)
    {
        string json = new PayloadJsonWriter().Write(value, out int bytes);
        Assert.Equal(PayloadJson.Serialize(new object[] { value }), "[" + json + "]");
        Assert.Equal(Encoding.UTF8.GetByteCount(json), bytes);
    }

    [Fact]
    public void A_long_is_its_digits()
    {
        Assert.Equal("9223372036854775807", new PayloadJsonWriter().Write(long.MaxValue, out int bytes));
        Assert.Equal(19, bytes);
    }

    [Fact]
    public void The_byte_count_is_of_UTF8_text()
    {
        string json = new PayloadJsonWriter().Write(new Hashtable { ["name"] = "Zoë 日本" }, out int bytes);
        Assert.Equal("{\"name\":\"Zoë 日本\"}", json);
        Assert.Equal(Encoding.UTF8.GetByteCount(json), bytes);
    }

    [Fact]
    public void One_writer_serves_payload_after_payload_even_after_one_that_failed()
    {
        var writer = new PayloadJsonWriter();
        Assert.Equal("{\"long\":\"" + new string('x', 100) + "\"}", writer.Write(new Hashtable { ["long"] = new string('x', 100) }, out _));
        var ex = Assert.Throws<PrismQException>(() => writer.Write(new object[] { 1, new Hashtable { ["bad"] = double.NaN } }, out _));
        Assert.Equal(PrismQErrorCode.InvalidPayload, ex.Code);
        Assert.Equal("[1,\"a\"]", writer.Write(new object[] { 1, "a" }, out int bytes));
        Assert.Equal(7, bytes);
        Assert.Equal("\"é\"", writer.Write("é", out bytes));
        Assert.Equal(4, bytes);
    }
}
