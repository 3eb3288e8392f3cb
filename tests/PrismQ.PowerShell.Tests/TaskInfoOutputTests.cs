using System;
using PrismQ.PowerShell;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

/// <summary>A task's output as the cmdlets show it (<see cref="TaskInfo.Output"/>).</summary>
public sealed class TaskInfoOutputTests
{
    [Fact]
    public void The_mapper_carries_each_output_record_in_order_with_a_local_time()
    {
        var at = new DateTimeOffset(2026, 5, 1, 10, 0, 0, TimeSpan.Zero);
        var record = new TaskRecord { Id = 1, Type = "t" };
        record.Output = new[]
        {
            new TaskOutputRecord(1, at, TaskOutputStream.Warning, "careful"),
            new TaskOutputRecord(2, at.AddSeconds(1), TaskOutputStream.Verbose, "detail"),
        };

        TaskOutputInfo[] output = TaskInfoMapper.ToTaskInfo(record).Output;

        Assert.Equal(2, output.Length);
        Assert.Equal((1, at.LocalDateTime, TaskOutputStream.Warning, "careful"), (output[0].Attempt, output[0].At, output[0].Stream, output[0].Text));
        Assert.Equal((2, at.AddSeconds(1).LocalDateTime, TaskOutputStream.Verbose, "detail"), (output[1].Attempt, output[1].At, output[1].Stream, output[1].Text));
        Assert.Equal("attempt 1 Warning: careful", output[0].ToString());
        Assert.Empty(TaskInfoMapper.ToTaskInfo(new TaskRecord { Id = 2, Type = "t" }).Output);
    }
}
