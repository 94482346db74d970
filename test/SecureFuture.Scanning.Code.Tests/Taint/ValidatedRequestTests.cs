namespace SecureFuture.Scanning.Code.Tests.Taint;

/// <summary>
/// IdentityServer's request validators (<c>IEndSessionRequestValidator</c>, <c>IAuthorizeRequestValidator</c>) keep a
/// redirect URI only when the client registered it: what they return is safe to redirect to (IdentityServer4's own
/// end-session endpoints were reported through them). They are still followed into for what they do with the request
/// (here: log it), and a look-alike validator of the application's own makes nothing safe.
/// </summary>
public sealed class ValidatedRequestTests
{
    private const string Redirect = "SFI-CODE-005";
    private const string LogInjection = "SFI-CODE-011";

    private const string Validation = """
        using System.Collections.Generic;
        using System.Collections.Specialized;
        using System.Security.Claims;
        using System.Threading.Tasks;
        using Microsoft.Extensions.Logging;

        namespace NAMESPACE
        {
            public sealed class ValidatedEndSessionRequest
            {
                public string? PostLogOutUri { get; set; }
            }

            public sealed class EndSessionValidationResult
            {
                public bool IsError { get; set; }
                public ValidatedEndSessionRequest? ValidatedRequest { get; set; }
            }

            public interface IEndSessionRequestValidator
            {
                Task<EndSessionValidationResult> ValidateAsync(NameValueCollection parameters, ClaimsPrincipal subject);
            }

            public sealed class EndSessionRequestValidator(ILogger<EndSessionRequestValidator> logger, ISet<string> registered) : IEndSessionRequestValidator
            {
                public Task<EndSessionValidationResult> ValidateAsync(NameValueCollection parameters, ClaimsPrincipal subject)
                {
                    var uri = parameters.Get("post_logout_redirect_uri");
                    logger.LogWarning("End session requested for " + uri);
                    var request = new ValidatedEndSessionRequest();
                    if (registered.Contains(uri!) || uri!.StartsWith("https://"))
                    {
                        request.PostLogOutUri = uri;
                    }

                    return Task.FromResult(new EndSessionValidationResult { ValidatedRequest = request });
                }
            }
        }
        """;

    private const string Endpoint = """
        using System.Collections.Specialized;
        using System.Threading.Tasks;
        using Microsoft.AspNetCore.Http;
        using NAMESPACE;

        public sealed class EndSessionEndpoint(IEndSessionRequestValidator validator)
        {
            public async Task ProcessAsync(HttpContext context)
            {
                var parameters = new NameValueCollection { { "post_logout_redirect_uri", context.Request.Query["post_logout_redirect_uri"] } };
                var result = await validator.ValidateAsync(parameters, context.User);
                if (!result.IsError)
                {
                    context.Response.Redirect(result.ValidatedRequest!.PostLogOutUri!);
                }
            }
        }
        """;

    private static RecordingSink Analyze(string ns) => RecordingSink.Analyze(
        ("src/Validation/EndSessionRequestValidator.cs", Validation.Replace("NAMESPACE", ns, StringComparison.Ordinal)),
        ("src/Endpoints/EndSessionEndpoint.cs", Endpoint.Replace("NAMESPACE", ns, StringComparison.Ordinal)));

    [Theory]
    [InlineData("IdentityServer4.Validation")]
    [InlineData("Duende.IdentityServer.Validation")]
    public void A_redirect_to_what_IdentityServers_validator_returned_is_not_reported_and_its_logging_of_the_request_is(string ns)
    {
        var sink = Analyze(ns);

        Assert.True(sink.Of(Redirect).Count == 0, sink.Describe());
        var (path, _) = Assert.Single(sink.Of(LogInjection));
        Assert.Equal("src/Validation/EndSessionRequestValidator.cs", path);
    }

    [Fact]
    public void The_same_validator_in_the_applications_own_namespace_makes_nothing_safe()
    {
        // It accepts any https URL besides the registered ones: only IdentityServer's contract is trusted, by its type.
        var sink = Analyze("Shop.Validation");

        var (path, detection) = Assert.Single(sink.Of(Redirect));
        Assert.Equal("src/Endpoints/EndSessionEndpoint.cs", path);
        Assert.Contains(detection.Flow!, s => s.Message.Contains("returned from 'IEndSessionRequestValidator.ValidateAsync'", StringComparison.Ordinal));
        Assert.Single(sink.Of(LogInjection));
    }
}
