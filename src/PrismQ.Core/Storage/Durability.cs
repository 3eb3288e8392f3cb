namespace PrismQ;

/// <summary>How hard a commit tries to survive a power cut (SQLite's <c>synchronous</c> in WAL mode).</summary>
public enum Durability
{
    /// <summary><c>synchronous=NORMAL</c>: an application crash loses nothing; a power cut or OS crash may lose the last commits. Faster.</summary>
    Normal = 0,
    /// <summary><c>synchronous=FULL</c>: every commit waits for the WAL to reach the disk. Survives a power cut.</summary>
    Full = 1,
}
