using Npgsql;

namespace Keypost.Store.Postgres;

/// <summary>
/// One account's mailboxes as rows of <c>store_mailbox</c>. The interface is synchronous (Maildir's directory
/// operations are); each call here is one short statement.
/// </summary>
internal sealed class PostgresAccountMailboxes : IAccountMailboxes
{
    private readonly PostgresMailStore _store;
    private readonly string _account;

    public PostgresAccountMailboxes(PostgresMailStore store, string account)
    {
        _store = store;
        _account = account;
    }

    public IReadOnlyList<string> List()
    {
        using var command = Command("SELECT name FROM store_mailbox WHERE account = $1");
        var names = new List<string>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            names.Add(reader.GetString(0));
        }

        names.Remove("INBOX");
        names.Sort(StringComparer.Ordinal);
        names.Insert(0, "INBOX");
        return names;
    }

    public bool Exists(string name)
    {
        using var command = Command("SELECT 1 FROM store_mailbox WHERE account = $1 AND name = $2", Key(name));
        return command.ExecuteScalar() is not null;
    }

    public bool HasChildren(string name)
    {
        if (MailboxNames.IsInbox(name))
        {
            return false;
        }

        using var command = Command("SELECT 1 FROM store_mailbox WHERE account = $1 AND starts_with(name, $2) LIMIT 1", name + MailboxNames.Delimiter);
        return command.ExecuteScalar() is not null;
    }

    public void Create(string name)
    {
        using var command = Command("INSERT INTO store_mailbox (account, name) VALUES ($1, $2) ON CONFLICT (account, name) DO NOTHING", Key(name));
        command.ExecuteNonQuery();
    }

    public void Delete(string name)
    {
        using var command = Command("DELETE FROM store_mailbox WHERE account = $1 AND name = $2 RETURNING id", Key(name));
        if (command.ExecuteScalar() is long id)
        {
            _store.Forget(id);
        }
    }

    public void Rename(string from, string to)
    {
        // The rows keep their ids, so UIDVALIDITY and UIDs stay with the messages (as a Maildir++ directory rename does).
        using var command = Command(
            "UPDATE store_mailbox SET name = $3 || substr(name, length($2) + 1) WHERE account = $1 AND (name = $2 OR starts_with(name, $2 || '.'))",
            from, to);
        command.ExecuteNonQuery();
    }

    public IMailbox Get(string name)
    {
        using var command = Command("SELECT id FROM store_mailbox WHERE account = $1 AND name = $2", Key(name));
        return command.ExecuteScalar() is long id
            ? _store.Get(id)
            : throw new DirectoryNotFoundException("no such mailbox: " + name);
    }

    private static string Key(string name) => MailboxNames.IsInbox(name) ? "INBOX" : name;

    private NpgsqlCommand Command(string sql, params string[] values)
    {
        var command = _store.DataSource.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = _account });
        foreach (var value in values)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value });
        }

        return command;
    }
}
