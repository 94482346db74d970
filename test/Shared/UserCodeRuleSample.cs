namespace SecureFuture.Testing;

/// <summary>
/// A user's own code rule (<c>sfi scan --rules DIR</c>) for an in-house template engine, with the vulnerable and safe
/// examples it must pass before it runs: the one sample the analyzer's and the CLI's user-rule tests share.
/// </summary>
internal static class UserCodeRuleSample
{
    public const string TemplateRule = """
        id: SFI-CODE-090
        name: TemplateInjection
        title: Template rendered from untrusted data
        description: Request data is compiled as a template by the in-house engine, which can run code.
        help: Pass request data as the model, never as the template.
        severity: high
        precision: medium
        cwe: [1336]
        message: Untrusted data from {source} reaches a template ({sink})
        taint:
          kind: template
          sinks:
            - { type: Acme.Templates.Engine, members: [Render], parameters: [template], arguments: [0] }
        examples:
          vulnerable:
            - |
              using Microsoft.AspNetCore.Mvc;
              namespace Acme.Templates { public static class Engine { public static string Render(string template, object model) => template; } }
              public class PagesController : Controller
              {
                  public string Show(string layout) => Acme.Templates.Engine.Render(layout, new object()); // expect SFI-CODE-090
              }
          safe:
            - |
              using Microsoft.AspNetCore.Mvc;
              namespace Acme.Templates { public static class Engine { public static string Render(string template, object model) => template; } }
              public class PagesController : Controller
              {
                  public string Show(string name) => Acme.Templates.Engine.Render("Hello {{name}}", new { name });
              }
        """;
}
