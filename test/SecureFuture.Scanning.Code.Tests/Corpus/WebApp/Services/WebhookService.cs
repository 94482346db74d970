using System.Net;

namespace WebApp.Services;

public sealed class WebhookService(HttpClient http)
{
    /// <summary>"Test my webhook": the partner's callback URL comes from the registration form.</summary>
    public async Task<int> PingAsync(string callbackUrl)
    {
        using var response = await http.GetAsync(callbackUrl); // VULN: ssrf
        return (int)response.StatusCode;
    }

    public Task<string> FetchPartnerProfileAsync(int partnerId) =>
        http.GetStringAsync($"https://partners.contoso.example/api/profiles/{partnerId}"); // SAFE: ssrf

#pragma warning disable SYSLIB0014 // legacy code path kept for one partner
    public static HttpStatusCode ProbeLegacy(string url)
    {
        var request = WebRequest.Create(url); // VULN: ssrf
        using var response = (HttpWebResponse)request.GetResponse();
        return response.StatusCode;
    }
#pragma warning restore SYSLIB0014
}
