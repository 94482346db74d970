using System.DirectoryServices;
using System.Globalization;

namespace WebApp.Services;

public sealed class DirectoryLookup
{
    private const string Root = "LDAP://dc.contoso.example/DC=contoso,DC=example";

    public string? FindUserPath(string userName)
    {
        using var entry = new DirectoryEntry(Root);
        using var searcher = new DirectorySearcher(entry);
        searcher.Filter = string.Format(CultureInfo.InvariantCulture, "(&(objectClass=user)(sAMAccountName={0}))", userName); // VULN: ldap-injection
        return searcher.FindOne()?.Path;
    }

    public string? FindEmployeePath(int employeeNumber)
    {
        using var entry = new DirectoryEntry(Root);
        using var searcher = new DirectorySearcher(entry);
        searcher.Filter = $"(&(objectClass=user)(employeeNumber={employeeNumber}))"; // SAFE: ldap-injection
        return searcher.FindOne()?.Path;
    }

    public string? FindGroupPath(string group)
    {
        using var entry = new DirectoryEntry(Root);
        using var searcher = new DirectorySearcher(entry, "(&(objectClass=group)(cn=" + group + "))"); // VULN: ldap-injection
        return searcher.FindOne()?.Path;
    }
}
