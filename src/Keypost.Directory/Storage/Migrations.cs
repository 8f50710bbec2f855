using Microsoft.Data.Sqlite;

namespace Keypost.Directory.Storage;

/// <summary>Schema versions, applied in order; each runs in its own transaction and bumps user_version.</summary>
internal static class Migrations
{
    private static readonly string[] Steps =
    [
        // 1: domains, accounts, and every certificate ever published for an address. A certificate row is
        //    never deleted: replaced and revoked ones stay as history.
        """
        CREATE TABLE domains (
            name        TEXT PRIMARY KEY,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE accounts (
            address       TEXT PRIMARY KEY,
            local_part    TEXT NOT NULL,
            domain        TEXT NOT NULL REFERENCES domains(name),
            password_hash TEXT,
            created_at    TEXT NOT NULL
        );
        CREATE TABLE certificates (
            id            INTEGER PRIMARY KEY AUTOINCREMENT,
            address       TEXT NOT NULL REFERENCES accounts(address),
            domain        TEXT NOT NULL,
            wkd_hash      TEXT NOT NULL,
            fingerprint   TEXT NOT NULL,
            data          BLOB NOT NULL,
            state         TEXT NOT NULL CHECK (state IN ('current', 'replaced', 'withdrawn')),
            revoked       INTEGER NOT NULL DEFAULT 0,
            published_at  TEXT NOT NULL,
            ended_at      TEXT
        );
        CREATE INDEX certificates_wkd ON certificates(domain, wkd_hash) WHERE state = 'current';
        CREATE INDEX certificates_address ON certificates(address);
        """,

        // 2: key transparency (docs/transparency.md). Per domain: the log's Ed25519 signing key and the VRF's P-256
        //    secret key (secret: this file is the server's secret, keep it mode 0600), every binding version with
        //    what a lookup answer needs, and every epoch's log entry. The certificates table stays the source:
        //    each certificate row becomes one binding version, in id order.
        """
        CREATE TABLE kt_keys (
            domain      TEXT PRIMARY KEY REFERENCES domains(name),
            log_key     BLOB NOT NULL,
            vrf_key     BLOB NOT NULL,
            created_at  TEXT NOT NULL
        );
        CREATE TABLE kt_epochs (
            domain      TEXT NOT NULL,
            epoch       INTEGER NOT NULL,
            entry       BLOB NOT NULL,
            PRIMARY KEY (domain, epoch)
        );
        CREATE TABLE kt_bindings (
            domain           TEXT NOT NULL,
            address          TEXT NOT NULL,
            version          INTEGER NOT NULL,
            epoch            INTEGER NOT NULL,
            certificate_id   INTEGER NOT NULL REFERENCES certificates(id),
            fingerprint      BLOB NOT NULL,
            certificate_hash BLOB NOT NULL,
            revoked          INTEGER NOT NULL,
            vrf_proof        BLOB NOT NULL,
            map_key          BLOB NOT NULL,
            opening          BLOB NOT NULL,
            commitment       BLOB NOT NULL,
            PRIMARY KEY (domain, address, version)
        );
        CREATE INDEX kt_bindings_epoch ON kt_bindings(domain, epoch);
        """,

        // 3: the witnesses' cosignatures of each domain's newest checkpoint (the served note, log signature and
        //    cosignature lines), so a restarted directory serves them at once instead of after the next epoch;
        //    and the server's owner monitor: per address, the last logged version it judged and the fingerprints
        //    of the keys it found the owner made (space-separated upper-case hex).
        """
        CREATE TABLE kt_cosigned (
            domain      TEXT PRIMARY KEY REFERENCES domains(name),
            size        INTEGER NOT NULL,
            note        TEXT NOT NULL
        );
        CREATE TABLE kt_monitor (
            address     TEXT PRIMARY KEY,
            version     INTEGER NOT NULL,
            own_keys    TEXT NOT NULL,
            checked_at  TEXT NOT NULL
        );
        """,

        // 4: the VRF suite of each domain's log (KEYTRANS CipherSuite number, Keypost.Transparency.Vrf.VrfSuite).
        //    Logs made before it are P-256 (1); new logs are Ed25519 (2). A log keeps its suite for life.
        """
        ALTER TABLE kt_keys ADD COLUMN vrf_suite INTEGER NOT NULL DEFAULT 1;
        """,
        // 5: key lifecycle (docs/lifecycle.md). The Web Key Service's submission key per domain (a server secret, like
        //    the VRF key), its pending confirmation requests (only the SHA-256 of each nonce is kept, so a copy of
        //    this file confirms nothing), and the expiry reminders already mailed, so each is sent once.
        """
        CREATE TABLE wks_keys (
            domain              TEXT PRIMARY KEY REFERENCES domains(name),
            submission_address  TEXT NOT NULL,
            secret_key          BLOB NOT NULL,
            created_at          TEXT NOT NULL
        );
        CREATE TABLE wks_requests (
            nonce_hash   BLOB PRIMARY KEY,
            address      TEXT NOT NULL,
            fingerprint  TEXT NOT NULL,
            certificate  BLOB NOT NULL,
            client       TEXT NOT NULL,
            created_at   TEXT NOT NULL,
            expires_at   TEXT NOT NULL,
            used_at      TEXT
        );
        CREATE INDEX wks_requests_address ON wks_requests(address);
        CREATE TABLE expiry_reminders (
            address      TEXT NOT NULL,
            fingerprint  TEXT NOT NULL,
            days         INTEGER NOT NULL,
            sent_at      TEXT NOT NULL,
            PRIMARY KEY (address, fingerprint, days)
        );
        """,

        // 6: encryption at rest (docs/encryption-at-rest.md): an account may opt out of having mail that arrives
        //    in the clear stored encrypted to its key. On unless the user said otherwise.
        """
        ALTER TABLE accounts ADD COLUMN encrypt_at_rest INTEGER NOT NULL DEFAULT 1;
        """,

        // 7: several devices per account (docs/lifecycle.md): a device's request (its transport certificate, public),
        //    its state, and the key package the first device left for it, encrypted to that device (the server cannot
        //    read it). A removed device's package is deleted with its removal.
        """
        CREATE TABLE devices (
            id              TEXT PRIMARY KEY,
            address         TEXT NOT NULL REFERENCES accounts(address),
            name            TEXT NOT NULL,
            fingerprint     TEXT NOT NULL,
            certificate     BLOB NOT NULL,
            state           TEXT NOT NULL CHECK (state IN ('pending', 'approved', 'removed')),
            package         BLOB,
            package_version INTEGER NOT NULL DEFAULT 0,
            created_at      TEXT NOT NULL,
            updated_at      TEXT NOT NULL
        );
        CREATE INDEX devices_address ON devices(address);
        """,

        // 8: the channel each certificate row came through (PublicationChannel: 'operator', 'account', 'wks'), so the
        //    server's owner monitor can tell the owner's own publications from the operator's. A row written by
        //    anything that does not say (older rows, an SQL write) is the operator's.
        """
        ALTER TABLE certificates ADD COLUMN channel TEXT NOT NULL DEFAULT 'operator' CHECK (channel IN ('operator', 'account', 'wks'));
        """,

        // 9: history chains (docs/transparency.md, "History chain"). A log made from now on commits each binding
        //    together with the hash chain of its address's earlier versions (kt_keys.history = 1, entry format 3);
        //    kt_bindings.history is that chain through the previous version. Older logs keep 0 and NULL for life.
        """
        ALTER TABLE kt_keys ADD COLUMN history INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE kt_bindings ADD COLUMN history BLOB;
        """,

        // 10: when senders stop encrypting to each certificate (ExpiryReminderPlanner.UsableUntil; NULL: never, or
        //     unreadable), worked out when it is published, so the expiry-reminder run reads it instead of parsing
        //     every certificate (an idle server then never loads the OpenPGP library: issue #14). expiry_known 0:
        //     not worked out yet (rows from before this step); the reminder run works it out and stores it.
        """
        ALTER TABLE certificates ADD COLUMN expiry_known INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE certificates ADD COLUMN usable_until TEXT;
        """,
    ];

    public static async Task ApplyAsync(SqliteConnection connection, CancellationToken cancellationToken)
    {
        await using var read = connection.CreateCommand();
        read.CommandText = "PRAGMA user_version";
        var version = Convert.ToInt32(await read.ExecuteScalarAsync(cancellationToken));
        if (version > Steps.Length)
        {
            throw new InvalidOperationException(
                $"the database schema is version {version}, newer than this Keypost understands ({Steps.Length})");
        }

        for (var i = version; i < Steps.Length; i++)
        {
            await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var step = connection.CreateCommand();
            step.Transaction = transaction;
            step.CommandText = Steps[i] + $"\nPRAGMA user_version = {i + 1};";
            await step.ExecuteNonQueryAsync(cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }
    }
}
