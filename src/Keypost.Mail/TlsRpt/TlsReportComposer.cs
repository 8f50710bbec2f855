using System.Globalization;
using System.IO.Compression;
using System.Text.Json;

namespace Keypost.Mail.TlsRpt;

/// <summary>The aggregate report of RFC 8460 §4 as JSON, and gzip-compressed for sending (§5.1, §5.3).</summary>
public static class TlsReportComposer
{
    public static byte[] ToJson(string organization, string contact, string reportId, DateOnly day, string domain, IReadOnlyList<TlsPolicyTally> policies)
    {
        ArgumentNullException.ThrowIfNull(policies);
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("organization-name", organization);
            json.WriteStartObject("date-range");
            // RFC 8460 §4.4: RFC 3339 date-times; a report covers one UTC day (§4.1).
            json.WriteString("start-datetime", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z");
            json.WriteString("end-datetime", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T23:59:59Z");
            json.WriteEndObject();
            json.WriteString("contact-info", contact);
            json.WriteString("report-id", reportId);
            json.WriteStartArray("policies");
            foreach (var policy in policies)
            {
                json.WriteStartObject();
                json.WriteStartObject("policy");
                json.WriteString("policy-type", policy.PolicyType);
                if (policy.PolicyStrings.Count > 0)
                {
                    json.WriteStartArray("policy-string");
                    foreach (var line in policy.PolicyStrings)
                    {
                        json.WriteStringValue(line);
                    }

                    json.WriteEndArray();
                }

                json.WriteString("policy-domain", domain);
                if (policy.MxHosts.Count > 0)
                {
                    json.WriteStartArray("mx-host");
                    foreach (var mx in policy.MxHosts)
                    {
                        json.WriteStringValue(mx);
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
                json.WriteStartObject("summary");
                json.WriteNumber("total-successful-session-count", policy.Successes);
                json.WriteNumber("total-failure-session-count", policy.Failures);
                json.WriteEndObject();
                if (policy.FailureDetails.Count > 0)
                {
                    json.WriteStartArray("failure-details");
                    foreach (var failure in policy.FailureDetails)
                    {
                        json.WriteStartObject();
                        json.WriteString("result-type", failure.ResultType);
                        if (failure.ReceivingMx is not null)
                        {
                            json.WriteString("receiving-mx-hostname", failure.ReceivingMx);
                        }

                        if (failure.ReceivingIp is not null)
                        {
                            json.WriteString("receiving-ip", failure.ReceivingIp);
                        }

                        json.WriteNumber("failed-session-count", failure.Count);
                        if (failure.Reason is not null)
                        {
                            json.WriteString("additional-information", failure.Reason);
                        }

                        json.WriteEndObject();
                    }

                    json.WriteEndArray();
                }

                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    public static byte[] Gzip(byte[] json)
    {
        ArgumentNullException.ThrowIfNull(json);
        using var buffer = new MemoryStream();
        using (var gzip = new GZipStream(buffer, CompressionLevel.Optimal, leaveOpen: true))
        {
            gzip.Write(json);
        }

        return buffer.ToArray();
    }
}
