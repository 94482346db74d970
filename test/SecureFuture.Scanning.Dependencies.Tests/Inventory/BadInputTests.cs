using SecureFuture.Core;
using SecureFuture.Scanning.Dependencies.Inventory;

namespace SecureFuture.Scanning.Dependencies.Tests.Inventory;

/// <summary>Malformed files, unknown lock file versions and unpinned declarations are reported, never guessed.</summary>
public class BadInputTests
{
    private static InventoryResult Read(params (string Path, string Text)[] files) =>
        new DependencyInventory().Read(files.Select(f => new ScanTarget(f.Path, f.Text)));

    [Fact]
    public void Malformed_json_lock_file_is_an_error_at_its_line_and_column_and_the_other_files_are_still_read()
    {
        var result = Read(
            ("web/package-lock.json", "{\n  \"lockfileVersion\": 3,\n  \"packages\": {\n    \"\": {}\n    \"node_modules/a\": {}\n  }\n}\n"),
            ("svc/requirements.txt", "flask==3.0.0\n"));

        var error = Assert.Single(result.Notifications, n => n.Id == InventoryNotifications.Malformed);
        Assert.Equal(NotificationLevel.Error, error.Level);
        Assert.StartsWith("web/package-lock.json:5:5: not valid JSON", error.Message, StringComparison.Ordinal);
        Assert.Equal(5, error.Region!.StartLine);
        Assert.True(result.HasErrors);
        Assert.Equal("flask", Assert.Single(result.Packages).Name);
    }

    [Fact]
    public void A_package_named_twice_in_a_json_lock_file_is_an_error_not_a_crash()
    {
        // Found by fuzzing: the second "node_modules/a" threw ArgumentException out of the reader (and the scan).
        // Which of the two is installed cannot be told, so the file is refused.
        var result = Read(("package-lock.json", "{\"lockfileVersion\": 3, \"packages\": {\"\": {},\n\"node_modules/a\": {\"version\": \"1.0.0\"},\n\"node_modules/a\": {\"version\": \"6.6.6\"}}}"));
        var error = Assert.Single(result.Notifications, n => n.Id == InventoryNotifications.Malformed);
        Assert.Matches(@"^package-lock\.json:\d+:\d+: not valid JSON", error.Message);
        Assert.Empty(result.Packages);
    }

    [Fact]
    public void A_json_lock_file_with_a_lone_surrogate_is_an_error_not_a_crash()
    {
        var result = Read(("packages.lock.json", "{\"version\": 1, \"dependencies\": {\"net8.0\": {\"\\ud800\": {\"type\": \"Direct\"}}}}"));
        Assert.Contains("not well-formed Unicode", Assert.Single(result.Notifications, n => n.Id == InventoryNotifications.Malformed).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_yaml_lock_file_yamldotnet_cannot_model_is_an_error_not_a_crash()
    {
        // Found by fuzzing: YamlDotNet throws ArgumentException, not YamlException, on "- : x".
        var result = Read(("pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies:\n    - : x\n"));
        Assert.Contains("not valid YAML", Assert.Single(result.Notifications, n => n.Id == InventoryNotifications.Malformed).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_empty_pnpm_reference_resolves_to_nothing_and_the_rest_is_read()
    {
        // Found by fuzzing: an empty version threw ArgumentOutOfRangeException out of the reader.
        var result = Read(("pnpm-lock.yaml", "lockfileVersion: '6.0'\ndependencies:\n  left-pad: ''\n  is-odd: 3.0.1\npackages:\n  /is-odd@3.0.1:\n    resolution: {integrity: sha512-CQpnWPrDwmP1+SMHXZhtLtJv90yiyVfluGsX5iNCVkrhQtU3TQHsUWPG9wkdk9Lgd5yNpAg9jQEo90CBaXgWMA==}\n  /left-pad@1.3.0:\n    resolution: {integrity: sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQ9ioAW7rF+5kJSqa6ZNPtrbwD2bH1XlAkW1unwTxkCLGuJg==}\n"));
        Assert.Empty(result.Notifications);
        Assert.True(Assert.Single(result.Packages, p => p.Name == "is-odd").Direct);
        Assert.False(Assert.Single(result.Packages, p => p.Name == "left-pad").Direct);
    }

    [Fact]
    public void Truncated_cargo_lock_is_an_error_naming_the_line_and_yields_no_half_inventory()
    {
        var text = "version = 3\n\n[[package]]\nname = \"libc\"\nversion = \"0.2.71\"\nsource = \"registry+https://github.com/rust-lang/crates.io-index\"\n\n[[package]]\nname = \"serde\nversion = \"1.0\"\n";
        var result = Read(("Cargo.lock", text));

        Assert.Empty(result.Packages);
        Assert.StartsWith("Cargo.lock:9:", Assert.Single(result.Notifications).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Malformed_yaml_lock_file_is_an_error_at_its_line()
    {
        var result = Read(("pnpm-lock.yaml", "lockfileVersion: '9.0'\nimporters:\n  .:\n    dependencies: [unclosed\n"));

        Assert.Matches(@"^pnpm-lock\.yaml:\d+:\d+: not valid YAML", Assert.Single(result.Notifications).Message);
    }

    [Theory]
    [InlineData("package-lock.json", "{\"lockfileVersion\": 4, \"packages\": {}}", "4")]
    [InlineData("pnpm-lock.yaml", "lockfileVersion: '10.0'\n", "10.0")]
    [InlineData("Cargo.lock", "version = 5\n", "5")]
    [InlineData("uv.lock", "version = 2\n", "2")]
    [InlineData("poetry.lock", "[metadata]\nlock-version = \"3.0\"\n", "3.0")]
    [InlineData("packages.lock.json", "{\"version\": 3, \"dependencies\": {}}", "3")]
    [InlineData("Pipfile.lock", "{\"_meta\": {\"pipfile-spec\": 7}}", "7")]
    [InlineData("yarn.lock", "__metadata:\n  version: 99\n", "99")]
    public void Unknown_lock_file_version_is_a_clear_error_not_a_guess(string file, string text, string version)
    {
        var result = Read((file, text));

        var notification = Assert.Single(result.Notifications);
        Assert.Equal(InventoryNotifications.UnknownVersion, notification.Id);
        Assert.Equal(NotificationLevel.Error, notification.Level);
        Assert.Contains($"lock file version {version} is not one sfi reads", notification.Message, StringComparison.Ordinal);
        Assert.Empty(result.Packages);
    }

    [Theory]
    [InlineData("Cargo.lock", "version = 3\nx = ", '[')]
    [InlineData("poetry.lock", "x = ", '{')]
    [InlineData("package-lock.json", "", '[')]
    [InlineData("pnpm-lock.yaml", "lockfileVersion: '9.0'\npackages: ", '[')]
    public void Deeply_nested_input_is_an_error_not_a_stack_overflow(string file, string prefix, char open)
    {
        var text = prefix + new string(open, 200_000);

        var notification = Assert.Single(Read((file, text)).Notifications);

        Assert.Equal(InventoryNotifications.Malformed, notification.Id);
    }

    [Fact]
    public void Deeply_nested_xml_manifest_is_refused_before_a_tree_is_built()
    {
        var text = "<project>" + string.Concat(Enumerable.Repeat("<a>", 100_000)) + string.Concat(Enumerable.Repeat("</a>", 100_000)) + "</project>";

        var started = System.Diagnostics.Stopwatch.StartNew();
        var notification = Assert.Single(Read(("pom.xml", text)).Notifications);

        Assert.Equal(InventoryNotifications.Malformed, notification.Id);
        Assert.StartsWith("pom.xml:1:", notification.Message, StringComparison.Ordinal);
        Assert.True(started.Elapsed < TimeSpan.FromSeconds(10), $"took {started.Elapsed}"); // building the tree took ~1 minute
    }

    [Fact]
    public void Yarn_lock_without_either_header_is_refused()
    {
        var result = Read(("yarn.lock", "left-pad@^1.0.0:\n  version \"1.3.0\"\n"));

        Assert.Equal(InventoryNotifications.UnknownVersion, Assert.Single(result.Notifications).Id);
    }

    [Fact]
    public void Requirements_pins_with_hashes_are_packages_and_ranges_are_unpinned_at_their_lines()
    {
        var text = """
            # production pins
            --index-url https://pypi.org/simple
            Django==4.2.11 \
                --hash=sha256:6e6ff3db2d8dd0c986b4eec8554c8e4f919b5c1ff62a5b4390c17aff2ed6e5c4 \
                --hash=sha256:ddc24a0a8280a0430baa37aff11f28574720af05888c62b7cfe71d219f4599d0
            requests>=2.31  # not pinned
            flask
            numpy==1.*
            uvicorn[standard]==0.29.0 ; python_version >= "3.8"
            -e ./local-lib
            """;
        var result = Read(("requirements-prod.txt", text));

        Assert.Equal(["Django@4.2.11 line 3", "uvicorn@0.29.0 line 9"], result.Packages.Select(p => $"{p.Name}@{p.Version} line {p.Line}"));
        Assert.Equal(
            ["sha256-6e6ff3db2d8dd0c986b4eec8554c8e4f919b5c1ff62a5b4390c17aff2ed6e5c4", "sha256-ddc24a0a8280a0430baa37aff11f28574720af05888c62b7cfe71d219f4599d0"],
            result.Packages[0].Hashes);
        Assert.Equal(["requests >=2.31 line 6", "flask (any version) line 7", "numpy ==1.* line 8"], result.Unpinned.Select(u => $"{u.Name} {u.Requirement} line {u.Line}"));
        Assert.All(result.Notifications, n => Assert.Equal(InventoryNotifications.Unpinned, n.Id));
    }

    [Fact]
    public void Project_file_ranges_floating_versions_and_undefined_properties_are_unpinned_and_central_versions_apply()
    {
        var props = """
            <Project>
              <PropertyGroup><SerilogVersion>3.1.1</SerilogVersion></PropertyGroup>
              <ItemGroup>
                <PackageVersion Include="Newtonsoft.Json" Version="13.0.1" />
                <PackageVersion Include="Serilog" Version="$(SerilogVersion)" />
                <PackageVersion Include="Polly" Version="8.0.0" />
              </ItemGroup>
            </Project>
            """;
        var project = """
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <PackageReference Include="Newtonsoft.Json" />
                <PackageReference Include="Serilog" />
                <PackageReference Include="Polly" VersionOverride="8.2.0" />
                <PackageReference Include="Dapper" Version="[2.0,3.0)" />
                <PackageReference Include="AutoMapper" Version="12.*" />
                <PackageReference Include="MediatR" Version="$(MediatRVersion)" />
                <PackageReference Include="Unlisted" />
              </ItemGroup>
            </Project>
            """;
        var result = Read(("Directory.Packages.props", props), ("src/App/App.csproj", project));

        Assert.Equal(["Newtonsoft.Json@13.0.1", "Serilog@3.1.1", "Polly@8.2.0"], result.Packages.Select(p => $"{p.Name}@{p.Version}"));
        Assert.All(result.Packages, p => Assert.True(p.Direct));
        Assert.Equal(["Dapper", "AutoMapper", "MediatR", "Unlisted"], result.Unpinned.Select(u => u.Name));
        Assert.Equal([6, 7, 8, 9], result.Unpinned.Select(u => u.Line));
    }

    [Fact]
    public void Lock_file_beside_a_project_is_read_instead_of_the_project()
    {
        var project = "<Project><ItemGroup><PackageReference Include=\"Serilog\" Version=\"3.*\" /></ItemGroup></Project>";
        var lockFile = "{\"version\": 1, \"dependencies\": {\"net8.0\": {\"Serilog\": {\"type\": \"Direct\", \"requested\": \"[3.*, )\", \"resolved\": \"3.1.1\", \"contentHash\": \"abc=\"}}}}";
        var result = Read(("App/App.csproj", project), ("App/packages.lock.json", lockFile));

        Assert.Equal(["App/packages.lock.json"], result.Manifests);
        Assert.Empty(result.Unpinned);
        Assert.Equal("3.1.1", Assert.Single(result.Packages).Version);
    }

    [Theory]
    [InlineData("App.csproj")]
    [InlineData("packages.config")]
    [InlineData("pom.xml")]
    public void Xml_manifest_with_a_dtd_is_refused_so_entities_never_expand(string file)
    {
        // Billion laughs and XXE both need a DTD; none is processed.
        var text = "<?xml version=\"1.0\"?>\n<!DOCTYPE p [<!ENTITY x SYSTEM \"file:///etc/passwd\"><!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">]>\n<project><dependencies><dependency><groupId>&x;</groupId><artifactId>&b;</artifactId><version>1</version></dependency></dependencies></project>";
        var result = Read((file, text));

        Assert.Empty(result.Packages);
        var error = Assert.Single(result.Notifications);
        Assert.Equal(InventoryNotifications.Malformed, error.Id);
        Assert.StartsWith($"{file}:2:1: a DTD is not allowed", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Go_mod_replace_substitutes_the_module_and_a_local_replacement_is_not_a_package()
    {
        var text = """
            module example.com/app

            go 1.22

            require (
            	github.com/gorilla/mux v1.8.0
            	golang.org/x/net v0.17.0 // indirect
            	example.com/internal v1.0.0
            )

            replace golang.org/x/net v0.17.0 => golang.org/x/net v0.23.0

            replace example.com/internal => ../internal
            """;
        var result = Read(("go.mod", text));

        Assert.Equal(["github.com/gorilla/mux@v1.8.0 direct line 6", "golang.org/x/net@v0.23.0 transitive line 7"],
            result.Packages.Select(p => $"{p.Name}@{p.Version} {(p.Direct ? "direct" : "transitive")} line {p.Line}"));
        Assert.Contains(result.Notifications, n => n.Message.Contains("example.com/internal is replaced by the local directory ../internal", StringComparison.Ordinal));
    }

    [Fact]
    public void Go_mod_with_only_indirect_requirements_has_no_direct_package()
    {
        var result = Read(("go.mod", "module m\n\nrequire golang.org/x/text v0.14.0 // indirect\n"));

        Assert.False(Assert.Single(result.Packages).Direct);
        Assert.Empty(result.Notifications);
    }

    [Fact]
    public void Lock_file_without_roots_or_manifest_reports_every_package_as_direct_and_says_so()
    {
        var result = Read(("Pipfile.lock", "{\"_meta\": {\"pipfile-spec\": 6}, \"default\": {\"six\": {\"version\": \"==1.16.0\", \"hashes\": []}}, \"develop\": {}}"));

        Assert.True(Assert.Single(result.Packages).Direct);
        Assert.Equal(InventoryNotifications.NoRoots, Assert.Single(result.Notifications).Id);
    }

    [Theory]
    [InlineData("packages/web/package-lock.json", true)]
    [InlineData("node_modules/x/package-lock.json", false)]
    [InlineData("web/node_modules/x/package.json", false)]
    [InlineData("web/package.json", true)]
    [InlineData("requirements-dev.txt", true)]
    [InlineData("requirements/base.txt", true)]
    [InlineData("dev-requirements.txt", true)]
    [InlineData("notes.txt", false)]
    [InlineData("src/App/App.csproj", true)]
    [InlineData("src/App/obj/project.assets.json", true)]
    [InlineData("Directory.Packages.props", true)]
    [InlineData("README.md", false)]
    public void Wants_the_manifests_lock_files_and_the_files_beside_them_it_consults(string path, bool wanted) =>
        Assert.Equal(wanted, new DependencyInventory().Wants(path));
}
