namespace Keypost.Store.Postgres;

/// <summary>The mail store's tables (docs/postgres.md), one string per migration step; never edit a released step.</summary>
internal static class MailStoreSchema
{
    public const string Part = "store";

    /// <summary>The channel every change is announced on (LISTEN/NOTIFY), payload "mailbox-id modseq".</summary>
    public const string Channel = "keypost_store";

    public static readonly IReadOnlyList<string> Steps =
    [
        """
        -- RFC 9051 §2.3.1.1: a mailbox re-created under the same name needs a new UIDVALIDITY: a sequence started at
        -- the current Unix time never hands out the same value twice, across nodes and restarts.
        CREATE SEQUENCE store_uid_validity;
        SELECT setval('store_uid_validity', greatest(1, extract(epoch FROM now())::bigint));
        CREATE TABLE store_mailbox (
            id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            account text NOT NULL,
            name text NOT NULL,
            uid_validity bigint NOT NULL DEFAULT nextval('store_uid_validity'),
            uid_next bigint NOT NULL DEFAULT 1,
            modseq bigint NOT NULL DEFAULT 1,
            UNIQUE (account, name));
        CREATE TABLE store_message (
            mailbox_id bigint NOT NULL REFERENCES store_mailbox (id) ON DELETE CASCADE,
            uid bigint NOT NULL,
            flags integer NOT NULL,
            internal_date bigint NOT NULL,
            size bigint NOT NULL,
            added_modseq bigint NOT NULL,
            modseq bigint NOT NULL,
            subject text,
            from_field text,
            to_field text,
            cc_field text,
            bcc_field text,
            message_id text,
            body bytea NOT NULL,
            PRIMARY KEY (mailbox_id, uid));
        CREATE INDEX store_message_modseq ON store_message (mailbox_id, modseq);
        CREATE TABLE store_expunged (
            mailbox_id bigint NOT NULL REFERENCES store_mailbox (id) ON DELETE CASCADE,
            uid bigint NOT NULL,
            modseq bigint NOT NULL,
            PRIMARY KEY (mailbox_id, uid));
        CREATE INDEX store_expunged_modseq ON store_expunged (mailbox_id, modseq);
        """,
    ];
}
