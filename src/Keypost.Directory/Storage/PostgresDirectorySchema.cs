namespace Keypost.Directory.Storage;

/// <summary>
/// The directory's tables on PostgreSQL (part <c>directory</c> of <c>keypost_migration</c>): those of the SQLite file
/// after its migrations (<see cref="Migrations"/>, where each column is explained), with PostgreSQL's types. Times
/// stay ISO 8601 text and flags integers 0 and 1, so that one SQL text serves both engines.
/// </summary>
internal static class PostgresDirectorySchema
{
    public static IReadOnlyList<string> Steps { get; } =
    [
        """
        CREATE TABLE domains (
            name        text PRIMARY KEY,
            created_at  text NOT NULL
        );
        CREATE TABLE accounts (
            address          text PRIMARY KEY,
            local_part       text NOT NULL,
            domain           text NOT NULL REFERENCES domains(name),
            password_hash    text,
            created_at       text NOT NULL,
            encrypt_at_rest  integer NOT NULL DEFAULT 1
        );
        CREATE TABLE certificates (
            id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            address       text NOT NULL REFERENCES accounts(address),
            domain        text NOT NULL,
            wkd_hash      text NOT NULL,
            fingerprint   text NOT NULL,
            data          bytea NOT NULL,
            state         text NOT NULL CHECK (state IN ('current', 'replaced', 'withdrawn')),
            revoked       integer NOT NULL DEFAULT 0,
            published_at  text NOT NULL,
            ended_at      text,
            channel       text NOT NULL DEFAULT 'operator' CHECK (channel IN ('operator', 'account', 'wks'))
        );
        CREATE INDEX certificates_wkd ON certificates(domain, wkd_hash) WHERE state = 'current';
        CREATE INDEX certificates_address ON certificates(address);
        CREATE INDEX certificates_domain_id ON certificates(domain, id);

        CREATE TABLE kt_keys (
            domain      text PRIMARY KEY REFERENCES domains(name),
            log_key     bytea NOT NULL,
            vrf_key     bytea NOT NULL,
            created_at  text NOT NULL,
            vrf_suite   integer NOT NULL DEFAULT 1,
            history     integer NOT NULL DEFAULT 0
        );
        CREATE TABLE kt_epochs (
            domain      text NOT NULL,
            epoch       bigint NOT NULL,
            entry       bytea NOT NULL,
            PRIMARY KEY (domain, epoch)
        );
        CREATE TABLE kt_bindings (
            domain           text NOT NULL,
            address          text NOT NULL,
            version          bigint NOT NULL,
            epoch            bigint NOT NULL,
            certificate_id   bigint NOT NULL REFERENCES certificates(id),
            fingerprint      bytea NOT NULL,
            certificate_hash bytea NOT NULL,
            revoked          integer NOT NULL,
            vrf_proof        bytea NOT NULL,
            map_key          bytea NOT NULL,
            opening          bytea NOT NULL,
            commitment       bytea NOT NULL,
            history          bytea,
            PRIMARY KEY (domain, address, version)
        );
        CREATE INDEX kt_bindings_epoch ON kt_bindings(domain, epoch);
        CREATE TABLE kt_cosigned (
            domain      text PRIMARY KEY REFERENCES domains(name),
            size        bigint NOT NULL,
            note        text NOT NULL
        );
        CREATE TABLE kt_monitor (
            address     text PRIMARY KEY,
            version     bigint NOT NULL,
            own_keys    text NOT NULL,
            checked_at  text NOT NULL
        );

        CREATE TABLE wks_keys (
            domain              text PRIMARY KEY REFERENCES domains(name),
            submission_address  text NOT NULL,
            secret_key          bytea NOT NULL,
            created_at          text NOT NULL
        );
        CREATE TABLE wks_requests (
            nonce_hash   bytea PRIMARY KEY,
            address      text NOT NULL,
            fingerprint  text NOT NULL,
            certificate  bytea NOT NULL,
            client       text NOT NULL,
            created_at   text NOT NULL,
            expires_at   text NOT NULL,
            used_at      text
        );
        CREATE INDEX wks_requests_address ON wks_requests(address);
        CREATE TABLE expiry_reminders (
            address      text NOT NULL,
            fingerprint  text NOT NULL,
            days         integer NOT NULL,
            sent_at      text NOT NULL,
            PRIMARY KEY (address, fingerprint, days)
        );

        CREATE TABLE devices (
            id              text PRIMARY KEY,
            address         text NOT NULL REFERENCES accounts(address),
            name            text NOT NULL,
            fingerprint     text NOT NULL,
            certificate     bytea NOT NULL,
            state           text NOT NULL CHECK (state IN ('pending', 'approved', 'removed')),
            package         bytea,
            package_version integer NOT NULL DEFAULT 0,
            created_at      text NOT NULL,
            updated_at      text NOT NULL
        );
        CREATE INDEX devices_address ON devices(address);
        """,

        // SQLite's step 10: each certificate's end of use, worked out when it is published.
        """
        ALTER TABLE certificates ADD COLUMN expiry_known integer NOT NULL DEFAULT 0;
        ALTER TABLE certificates ADD COLUMN usable_until text;
        """,
    ];
}
