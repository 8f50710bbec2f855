namespace Keypost.Directory.Storage;

/// <summary>What a cross-node lock of the directory guards (the first key of a PostgreSQL advisory lock).</summary>
internal enum LockScope
{
    /// <summary>A domain's certificate rows: ids are taken and committed in one order, so the sequencer skips none.</summary>
    Publications = 0x4b70_4401,

    /// <summary>An account's devices: the count checked before a new one is added.</summary>
    Devices = 0x4b70_4402,

    /// <summary>A domain's log: one node at a time appends epochs (held for a whole sequencing run).</summary>
    Sequencer = 0x4b70_4403,

    /// <summary>The server's owner monitor: one node at a time judges new versions and mails alerts, so each is mailed once.</summary>
    OwnerMonitor = 0x4b70_4404,
}
