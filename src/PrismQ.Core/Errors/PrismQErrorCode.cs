namespace PrismQ;

/// <summary>What went wrong, as a stable code. PowerShell error ids are <c>PrismQ.</c> followed by the name.</summary>
public enum PrismQErrorCode
{
    /// <summary>The payload (or result) is not valid JSON.</summary>
    InvalidPayload = 1,
    /// <summary>The payload is larger than <see cref="QueueOptions.MaxPayloadBytes"/>.</summary>
    PayloadTooLarge,
    /// <summary>A task type is empty, too long or has control characters.</summary>
    InvalidTaskType,
    /// <summary>A queue name is empty, too long or has control characters.</summary>
    InvalidQueueName,
    /// <summary>A delay or not-before instant is negative or too far away.</summary>
    InvalidDelay,
    /// <summary>Max attempts below 1 or above the allowed maximum.</summary>
    InvalidMaxAttempts,
    /// <summary>A batch size below 1 or above the allowed maximum.</summary>
    InvalidBatchSize,
    /// <summary>Any other argument outside its allowed range (an undefined enum value, a negative timeout, ...).</summary>
    InvalidArgument,
    /// <summary>An option of <see cref="QueueOptions"/> (or of a worker) is invalid.</summary>
    InvalidOption,
    /// <summary>The database path is empty, malformed, or its folder cannot be created.</summary>
    InvalidDatabasePath,
    /// <summary>The database file or its folder cannot be written.</summary>
    DatabaseNotWritable,
    /// <summary>The file exists but is not a SQLite database.</summary>
    NotADatabase,
    /// <summary>The database was written by a newer PrismQ schema than this one understands.</summary>
    SchemaTooNew,
    /// <summary>The database stayed locked (SQLITE_BUSY / SQLITE_LOCKED) past the configured busy timeout.</summary>
    DatabaseBusy,
    /// <summary>Any other storage failure (I/O error, corruption, ...).</summary>
    StorageError,
    /// <summary>No task has the given id.</summary>
    TaskNotFound,
    /// <summary>The task is not in a state that allows the operation (for example, retrying a running task).</summary>
    InvalidTaskState,
    /// <summary>The lease is no longer held by the caller.</summary>
    LeaseLost,
    /// <summary>The queue is not known.</summary>
    QueueNotFound,
    /// <summary>No handler is registered for the task's type.</summary>
    NoHandler,
    /// <summary>A wait or operation ran out of time.</summary>
    Timeout,
    /// <summary>A payload or result holds a secret (SecureString, PSCredential, NetworkCredential): PrismQ does not write secrets in plain text.</summary>
    SecretInPayload,
    /// <summary>A handler's result is larger than <see cref="QueueOptions.MaxPayloadBytes"/>: the attempt fails (under the retry policy).</summary>
    ResultTooLarge,
    /// <summary>The operation does not apply to the store's backend (a SQLite file backup asked of a PostgreSQL database, for example); the message says what to use instead.</summary>
    NotSupported,
}
