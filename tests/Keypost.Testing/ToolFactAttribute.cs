namespace Keypost.Testing;

/// <summary>A fact that needs external programs: skipped when one is missing, unless KEYPOST_REQUIRE_TOOLS=1.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class ToolFactAttribute : FactAttribute
{
    public ToolFactAttribute(params string[] tools)
    {
        var missing = tools.Where(t => ExternalTool.Find(t) is null).ToArray();
        if (missing.Length > 0 && !ExternalTool.Required)
        {
            Skip = "missing tool(s): " + string.Join(", ", missing);
        }
    }

    /// <summary>Also skip (or fail in CI) when not root: the test needs unshare or privileged ports.</summary>
    public bool NeedsRoot
    {
        get => false;
        init
        {
            if (value && Environment.UserName != "root" && Skip is null && !ExternalTool.Required)
            {
                Skip = "needs root";
            }
        }
    }
}
