namespace Keypost.Directory.Migration;

/// <summary>
/// One directory table copied to another database: rows in the source, rows this run inserted (0 on a run that
/// finds them all there already), and the digest both sides were found to share.
/// </summary>
public sealed record TableCopyResult(string Table, long Rows, long Copied, string Sha256);
