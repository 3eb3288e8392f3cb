using Microsoft.Data.Sqlite;

namespace PrismQ.Storage.Sqlite;

/// <summary>A command prepared once on the store's connection and reused, with its parameters in declaration order.</summary>
internal sealed class PreparedStatement
{
    public PreparedStatement(SqliteConnection connection, string sql, params string[] parameterNames)
    {
        Command = connection.CreateCommand();
        Command.CommandText = sql;
        Command.CommandTimeout = 1;
        P = new SqliteParameter[parameterNames.Length];
        for (int i = 0; i < parameterNames.Length; i++)
        {
            P[i] = Command.CreateParameter();
            P[i].ParameterName = parameterNames[i];
            Command.Parameters.Add(P[i]);
        }
    }

    public SqliteCommand Command { get; }

    /// <summary>The parameters, in the order their names were given.</summary>
    public SqliteParameter[] P { get; }

    public void Dispose() => Command.Dispose();
}
