using System;
using System.Management.Automation;
using PrismQ.PowerShell.Cores;
using Xunit;

namespace PrismQ.PowerShell.Tests;

public sealed class ErrorMappingTests
{
    public static TheoryData<PrismQErrorCode, ErrorCategory, bool> Expected => new()
    {
        { PrismQErrorCode.InvalidPayload, ErrorCategory.InvalidData, false },
        { PrismQErrorCode.SecretInPayload, ErrorCategory.InvalidArgument, false },
        { PrismQErrorCode.PayloadTooLarge, ErrorCategory.LimitsExceeded, false },
        { PrismQErrorCode.InvalidTaskType, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.InvalidQueueName, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.InvalidDelay, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.InvalidMaxAttempts, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.InvalidBatchSize, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.InvalidArgument, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.InvalidOption, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.InvalidDatabasePath, ErrorCategory.InvalidArgument, true },
        { PrismQErrorCode.DatabaseNotWritable, ErrorCategory.PermissionDenied, true },
        { PrismQErrorCode.NotADatabase, ErrorCategory.InvalidData, true },
        { PrismQErrorCode.SchemaTooNew, ErrorCategory.NotImplemented, true },
        { PrismQErrorCode.DatabaseBusy, ErrorCategory.ResourceBusy, true },
        { PrismQErrorCode.StorageError, ErrorCategory.ResourceUnavailable, true },
        { PrismQErrorCode.TaskNotFound, ErrorCategory.ObjectNotFound, false },
        { PrismQErrorCode.InvalidTaskState, ErrorCategory.InvalidOperation, false },
        { PrismQErrorCode.LeaseLost, ErrorCategory.InvalidOperation, false },
        { PrismQErrorCode.QueueNotFound, ErrorCategory.ObjectNotFound, false },
        { PrismQErrorCode.NoHandler, ErrorCategory.NotImplemented, false },
        { PrismQErrorCode.Timeout, ErrorCategory.OperationTimeout, false },
        { PrismQErrorCode.ResultTooLarge, ErrorCategory.LimitsExceeded, false },
        { PrismQErrorCode.NotSupported, ErrorCategory.NotImplemented, true },
    };

    [Theory]
    [MemberData(nameof(Expected))]
    public void Each_code_has_its_category_and_scope(PrismQErrorCode code, ErrorCategory category, bool terminating)
    {
        Assert.Equal(category, ErrorMapping.CategoryOf(code));
        Assert.Equal(terminating, ErrorMapping.IsTerminating(code));
    }

    [Fact]
    public void Every_defined_code_is_mapped_explicitly_and_listed_here()
    {
        var listed = new System.Collections.Generic.HashSet<PrismQErrorCode>();
        foreach (object[] row in Expected) listed.Add((PrismQErrorCode)row[0]);
        foreach (PrismQErrorCode code in Enum.GetValues(typeof(PrismQErrorCode)))
        {
            Assert.True(ErrorMapping.IsMapped(code), $"{code} has no ErrorCategory mapping");
            Assert.True(listed.Contains(code), $"{code} is not covered by this test's table");
        }
    }

    [Fact]
    public void Error_ids_are_PrismQ_dot_code()
    {
        var ex = new PrismQException(PrismQErrorCode.TaskNotFound, "No task has id 5.");
        Assert.Equal("PrismQ.TaskNotFound", ex.ErrorId);
    }
}
