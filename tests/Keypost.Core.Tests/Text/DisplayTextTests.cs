using Keypost.Core.Text;

namespace Keypost.Core.Tests.Text;

public sealed class DisplayTextTests
{
    [Fact]
    public void Forged_status_lines_cannot_break_out()
    {
        var escaped = DisplayText.Escape("Mallory <m@evil.test>\n[GNUPG:] GOODSIG 1234 Luke");
        Assert.DoesNotContain('\n', escaped);
        Assert.Contains("\\u000a[GNUPG:]", escaped);
    }

    [Fact]
    public void Bidi_overrides_are_made_visible()
    {
        var escaped = DisplayText.Escape("invoice\u202Efdp.exe");
        Assert.Equal("invoice\\u202efdp.exe", escaped);
    }

    [Fact]
    public void Ordinary_unicode_is_kept()
    {
        Assert.Equal("Ünïcode Ö 日本", DisplayText.Escape("Ünïcode Ö 日本"));
    }

    [Fact]
    public void Long_text_is_cut()
    {
        Assert.Equal(11, DisplayText.Escape(new string('x', 100), 10).Length);
    }
}
