using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace Keypost.Mail.Diagnostics;

/// <summary>
/// In charge of the mail side's measurements (meter <see cref="MeterName"/>): SMTP and IMAP sessions, SMTP
/// transactions, delivery attempts by result, mailbox store latency and queue depth. One instance per server;
/// an exporter (OpenTelemetry, dotnet-counters) listens by the meter name. Names follow the OpenTelemetry
/// semantic-convention style (dotted, unit in the metadata, not in the name).
/// </summary>
public sealed class MailMetrics : IDisposable
{
    public const string MeterName = "Keypost.Mail";

    private readonly Meter _meter;
    private readonly Counter<long> _smtpSessions;
    private readonly UpDownCounter<long> _smtpActiveSessions;
    private readonly Counter<long> _smtpTransactions;
    private readonly Counter<long> _imapSessions;
    private readonly UpDownCounter<long> _imapActiveSessions;
    private readonly Counter<long> _imapLogins;
    private readonly Counter<long> _deliveries;
    private readonly Histogram<double> _storeDuration;
    private readonly Counter<long> _connectionsRefused;
    private readonly Counter<long> _loginFailures;
    private readonly Counter<long> _loginsRefused;

    /// <param name="meterFactory">The host's factory (so the meter is disposed with the host); null makes a meter of its own.</param>
    public MailMetrics(IMeterFactory? meterFactory = null)
    {
        _meter = meterFactory?.Create(MeterName) ?? new Meter(MeterName);
        _smtpSessions = _meter.CreateCounter<long>("keypost.smtp.sessions", "{session}", "SMTP connections accepted");
        _smtpActiveSessions = _meter.CreateUpDownCounter<long>("keypost.smtp.active_sessions", "{session}", "SMTP connections open now");
        _smtpTransactions = _meter.CreateCounter<long>("keypost.smtp.transactions", "{transaction}", "SMTP mail transactions by reply class");
        _imapSessions = _meter.CreateCounter<long>("keypost.imap.sessions", "{session}", "IMAP connections accepted");
        _imapActiveSessions = _meter.CreateUpDownCounter<long>("keypost.imap.active_sessions", "{session}", "IMAP connections open now");
        _imapLogins = _meter.CreateCounter<long>("keypost.imap.logins", "{login}", "IMAP logins by result");
        _deliveries = _meter.CreateCounter<long>("keypost.delivery.attempts", "{recipient}", "Delivery attempts per recipient by result");
        _connectionsRefused = _meter.CreateCounter<long>("keypost.abuse.connections_refused", "{connection}", "Connections refused by a limit, by protocol and limit (total, per_address, rate, login_block)");
        _loginFailures = _meter.CreateCounter<long>("keypost.abuse.login_failures", "{login}", "Failed logins counted by the login throttle, by protocol");
        _loginsRefused = _meter.CreateCounter<long>("keypost.abuse.logins_refused", "{login}", "Login attempts refused without a password check because the address is blocked, by protocol");
        _storeDuration = _meter.CreateHistogram<double>("keypost.store.write.duration", "s", "Time to store one message durably in a mailbox");
    }

    /// <summary>Reports the queue's depth (messages not yet final) whenever the meter is read.</summary>
    public void ObserveQueueDepth(Func<long> depth) =>
        _meter.CreateObservableGauge("keypost.queue.depth", depth, "{message}", "Messages in the delivery queue");

    /// <summary>Reports how many client addresses the login throttle blocks now whenever the meter is read.</summary>
    public void ObserveLoginThrottle(Keypost.Core.Abuse.LoginThrottle throttle)
    {
        ArgumentNullException.ThrowIfNull(throttle);
        _meter.CreateObservableGauge("keypost.abuse.blocked_addresses", () => (long)throttle.BlockedAddresses, "{address}", "Client addresses blocked now for failed logins");
    }

    /// <summary>A connection refused at the greeting; <paramref name="limit"/> is total, per_address, rate or login_block.</summary>
    public void ConnectionRefused(string protocol, string limit) =>
        _connectionsRefused.Add(1, new KeyValuePair<string, object?>("protocol", protocol), new KeyValuePair<string, object?>("limit", limit));

    /// <summary>A failed login counted by the throttle; <paramref name="blocked"/> when it blocked the address.</summary>
    public void LoginFailure(string protocol, bool blocked) =>
        _loginFailures.Add(1, new KeyValuePair<string, object?>("protocol", protocol), new KeyValuePair<string, object?>("blocked", blocked ? "yes" : "no"));

    /// <summary>A login refused unchecked because its address is blocked.</summary>
    public void LoginRefused(string protocol) =>
        _loginsRefused.Add(1, new KeyValuePair<string, object?>("protocol", protocol));

    public void SmtpSessionStarted(string listener)
    {
        var tag = new KeyValuePair<string, object?>("listener", listener);
        _smtpSessions.Add(1, tag);
        _smtpActiveSessions.Add(1, tag);
    }

    public void SmtpSessionEnded(string listener) =>
        _smtpActiveSessions.Add(-1, new KeyValuePair<string, object?>("listener", listener));

    /// <summary>One finished mail transaction; <paramref name="code"/> is the reply to the end of DATA.</summary>
    public void SmtpTransaction(string listener, int code) =>
        _smtpTransactions.Add(1, new KeyValuePair<string, object?>("listener", listener), new KeyValuePair<string, object?>("result", ReplyClass(code)));

    public void ImapSessionStarted()
    {
        _imapSessions.Add(1);
        _imapActiveSessions.Add(1);
    }

    public void ImapSessionEnded() => _imapActiveSessions.Add(-1);

    public void ImapLogin(bool success) =>
        _imapLogins.Add(1, new KeyValuePair<string, object?>("result", success ? "success" : "failure"));

    /// <summary>One recipient's attempt: result delivered, deferred or failed; route local or remote.</summary>
    public void Delivery(string result, string route) =>
        _deliveries.Add(1, new KeyValuePair<string, object?>("result", result), new KeyValuePair<string, object?>("route", route));

    public void StoreWrite(TimeSpan elapsed, bool success) =>
        _storeDuration.Record(elapsed.TotalSeconds, new KeyValuePair<string, object?>("result", success ? "success" : "failure"));

    public void Dispose() => _meter.Dispose();

    private static string ReplyClass(int code) => code switch
    {
        >= 200 and < 300 => "accepted",
        >= 400 and < 500 => "deferred",
        _ => "rejected",
    };
}
