using System;
using System.Collections.Generic;
using System.Threading.Tasks;
using Npgsql;
using NpgsqlTypes;
using PrismQ.Internal;
using PrismQ.Tasks;

namespace PrismQ.Postgres;

/// <summary>
/// One statement writes a batch of leased tasks' transitions: an UPDATE over <c>unnest</c> of the transitions (in id
/// order), conditional on each lease, whose applied rows then feed the error history, the output records and the
/// taken-over workers in the same statement (data-modifying CTEs). Nothing here decides a state.
/// </summary>
public sealed partial class PostgresTaskStore
{
    /// <summary>A pending cancel wins over the row's transition (the row then ends cancelled).</summary>
    private const string CancelWinsSql = "(x_cancel_wins AND t.cancel_requested)";

    /// <summary>The row goes back to its queue (a re-queue the cancel did not win over).</summary>
    private const string RequeuedSql = "(x_status = " + PostgresTaskRows.Queued + " AND NOT " + CancelWinsSql + ")";

    /// <summary>
    /// The transitions' statement. A re-queued task is claimable after its delay (or keeps its not-before, and so its
    /// FIFO place), with a fresh Weighted Random key, without the attempt's worker and progress; a finished task gets
    /// its final state (a success its result). A transition is applied only while its lease is held (and, when it
    /// asks, expired); a re-queued row notifies its queue. Returns one row per applied transition, with its ordinal.
    /// </summary>
    private static readonly string TransitionBatchSql =
        "WITH done AS (UPDATE {s}.tasks t SET " +
        "status = CASE WHEN " + CancelWinsSql + " THEN " + PostgresTaskRows.Cancelled + " ELSE x_status END, " +
        "attempts = attempts - x_uncount, " +
        "not_before = CASE WHEN " + RequeuedSql + " AND x_delay IS NOT NULL THEN @now + x_delay ELSE not_before END, " +
        "finished_at = CASE WHEN " + RequeuedSql + " THEN NULL ELSE @now END, " +
        "wr_key = CASE WHEN " + RequeuedSql + " THEN " + PostgresClaimSql.EnteringKey("t.queue", "x_exp") + " ELSE wr_key END, " +
        "lease_owner = CASE WHEN " + RequeuedSql + " THEN NULL ELSE lease_owner END, " +
        "progress_percent = CASE WHEN " + RequeuedSql + " THEN NULL ELSE progress_percent END, " +
        "progress_message = CASE WHEN " + RequeuedSql + " THEN NULL ELSE progress_message END, " +
        "result = CASE WHEN " + RequeuedSql + " THEN result WHEN " + CancelWinsSql + " THEN NULL ELSE x_result END, " +
        "error_message = x_message, error_type = x_type, error_detail = x_detail, " +
        "lease_token = NULL, lease_expires_at = NULL, updated_at = @now " +
        "FROM unnest(@ns, @ids, @tokens, @statuses, @uncounts, @delays, @exps, @results, @messages, @types, @details, @cancel_wins, @if_expired, @owners) " +
        "AS x(x_n, x_id, x_token, x_status, x_uncount, x_delay, x_exp, x_result, x_message, x_type, x_detail, x_cancel_wins, x_if_expired, x_owner) " +
        "WHERE t.id = x_id AND t.status = " + PostgresTaskRows.Running + " AND t.lease_token = x_token AND (NOT x_if_expired OR t.lease_expires_at < @now) " +
        "RETURNING x_n, t.id, t.attempts, t.not_before, t.status, x_uncount, x_message, x_type, x_detail, x_owner, " +
        "CASE WHEN t.status = " + PostgresTaskRows.Queued + " THEN pg_notify(@channel, t.queue) IS NULL END AS notified), " +
        // The error history: one row per applied transition with an error, its attempt the one that failed.
        "errors AS (INSERT INTO {s}.task_errors (task_id, attempt, at, message, type, detail) " +
        "SELECT id, attempts + x_uncount, @now, x_message, x_type, x_detail FROM done WHERE x_message IS NOT NULL ORDER BY x_n), " +
        // The attempts' output records of the applied transitions, in order.
        "outputs AS (INSERT INTO {s}.task_output (task_id, attempt, at, stream, text) " +
        "SELECT o_id, o_attempt, o_at, o_stream, o_text FROM unnest(@o_ids, @o_attempts, @o_at, @o_streams, @o_texts) WITH ORDINALITY AS o(o_id, o_attempt, o_at, o_stream, o_text, o_n) " +
        "WHERE o_id IN (SELECT id FROM done) ORDER BY o_n), " +
        // The workers whose tasks were taken over.
        "owners AS (UPDATE {s}.workers SET taken_over_at = @now WHERE id IN (SELECT x_owner FROM done WHERE x_owner IS NOT NULL)) " +
        "SELECT x_n, status, not_before, notified FROM done";

    /// <summary>
    /// Writes <paramref name="indexes"/> of <paramref name="transitions"/> (distinct task ids) in one statement, filling
    /// their <paramref name="results"/>; a transition not applied is <see cref="TransitionResult.Lost"/>.
    /// </summary>
    private static async Task WriteBatchAsync(Unit u, IReadOnlyList<LeaseTransition> transitions, List<int> indexes, double[] draws, long now, TransitionResult[] results)
    {
        // Id order, as lease extension sends its rows: a plan driven by the unnest (the usual nested loop over the
        // primary key) takes the rows in that order, so the two do not deadlock.
        indexes.Sort((a, b) => transitions[a].Id.CompareTo(transitions[b].Id));
        int n = indexes.Count;
        var ns = new int[n];
        var ids = new long[n];
        var tokens = new Guid[n];
        var statuses = new short[n];
        var uncounts = new int[n];
        var delays = new long?[n];
        var exps = new double[n];
        var resultTexts = new string?[n];
        var messages = new string?[n];
        var types = new string?[n];
        var details = new string?[n];
        var cancelWins = new bool[n];
        var ifExpired = new bool[n];
        var owners = new string?[n];
        var oIds = new List<long>();
        var oAttempts = new List<int>();
        var oAt = new List<long>();
        var oStreams = new List<int>();
        var oTexts = new List<string>();
        for (int k = 0; k < n; k++)
        {
            int i = indexes[k];
            LeaseTransition t = transitions[i];
            ns[k] = i;
            ids[k] = t.Id;
            tokens[k] = t.Token.Value;
            statuses[k] = (short)t.Status;
            uncounts[k] = t.CountsAttempt ? 0 : 1;
            delays[k] = t.RetryDelay is { } delay ? UnixTime.SpanMs(delay) : null;
            exps[k] = draws[i];
            resultTexts[k] = t.Status == TaskStatus.Succeeded ? t.Result : null;
            messages[k] = t.Error?.Message;
            types[k] = t.Error?.Type;
            details[k] = t.Error?.Detail;
            cancelWins[k] = t.CancelWins;
            ifExpired[k] = t.OnlyIfExpired;
            owners[k] = t.TakenOverFrom;
            if (t.Output is { } output)
            {
                foreach (TaskOutputRecord record in output)
                {
                    oIds.Add(t.Id);
                    oAttempts.Add(record.Attempt);
                    oAt.Add(UnixTime.ToMs(record.At));
                    oStreams.Add((int)record.Stream);
                    oTexts.Add(record.Text);
                }
            }
        }

        await using NpgsqlCommand command = u.Command(TransitionBatchSql);
        Int64(command, "now", now);
        Text(command, "channel", u.Store.Channel);
        command.Parameters.Add(new NpgsqlParameter("ns", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = ns });
        Int64Array(command, "ids", ids);
        command.Parameters.Add(new NpgsqlParameter("tokens", NpgsqlDbType.Array | NpgsqlDbType.Uuid) { Value = tokens });
        command.Parameters.Add(new NpgsqlParameter("statuses", NpgsqlDbType.Array | NpgsqlDbType.Smallint) { Value = statuses });
        command.Parameters.Add(new NpgsqlParameter("uncounts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = uncounts });
        command.Parameters.Add(new NpgsqlParameter("delays", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = delays });
        command.Parameters.Add(new NpgsqlParameter("exps", NpgsqlDbType.Array | NpgsqlDbType.Double) { Value = exps });
        command.Parameters.Add(new NpgsqlParameter("results", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = resultTexts });
        command.Parameters.Add(new NpgsqlParameter("messages", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = messages });
        command.Parameters.Add(new NpgsqlParameter("types", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = types });
        command.Parameters.Add(new NpgsqlParameter("details", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = details });
        command.Parameters.Add(new NpgsqlParameter("cancel_wins", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = cancelWins });
        command.Parameters.Add(new NpgsqlParameter("if_expired", NpgsqlDbType.Array | NpgsqlDbType.Boolean) { Value = ifExpired });
        command.Parameters.Add(new NpgsqlParameter("owners", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = owners });
        Int64Array(command, "o_ids", oIds.ToArray());
        command.Parameters.Add(new NpgsqlParameter("o_attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = oAttempts.ToArray() });
        Int64Array(command, "o_at", oAt.ToArray());
        command.Parameters.Add(new NpgsqlParameter("o_streams", NpgsqlDbType.Array | NpgsqlDbType.Integer) { Value = oStreams.ToArray() });
        TextArray(command, "o_texts", oTexts.ToArray());

        foreach (int i in indexes) results[i] = TransitionResult.Lost;
        await using NpgsqlDataReader r = await command.ExecuteReaderAsync(u.Token).ConfigureAwait(false);
        while (await r.ReadAsync(u.Token).ConfigureAwait(false))
        {
            var status = (TaskStatus)r.GetInt16(1);
            results[r.GetInt32(0)] = new TransitionResult(LeaseOutcome.Applied, status, status == TaskStatus.Queued ? UnixTime.FromMs(r.GetInt64(2)) : null);
        }
    }
}
