using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using SecureFuture.Core;

namespace SecureFuture.Scanning.Code.Inventory;

/// <summary>
/// The memory-safety inventory of C# code: how much of it steps outside the language's guarantees (<c>unsafe</c>,
/// <c>stackalloc</c>, <c>fixed</c>, function pointers, P/Invoke, <c>Marshal</c>). An inventory, not findings: each
/// construct is legitimate somewhere, so it is counted into the run's statistics and never reported as a result.
/// Syntax only (no binding), so it costs one walk over trees the analyzer has already parsed.
/// </summary>
internal sealed class UnsafeCodeInventory : ICodeCheck
{
    /// <summary>The run statistics this check adds to, every one of them on every run (zero says "looked, none").</summary>
    public static class Statistics
    {
        /// <summary><c>unsafe { ... }</c> statements.</summary>
        public const string Blocks = "unsafe.blocks";

        /// <summary>Declarations with the <c>unsafe</c> modifier: types, members, local functions.</summary>
        public const string Members = "unsafe.members";

        /// <summary><c>stackalloc</c> expressions, typed or not.</summary>
        public const string Stackalloc = "unsafe.stackalloc";

        /// <summary><c>fixed (...)</c> statements (pinning), not fixed-size buffers.</summary>
        public const string Fixed = "unsafe.fixed";

        /// <summary>Methods declared with <c>[DllImport]</c> or <c>[LibraryImport]</c>.</summary>
        public const string PInvoke = "unsafe.pinvoke";

        /// <summary>Calls of <c>Marshal.*</c> (System.Runtime.InteropServices.Marshal, by name).</summary>
        public const string MarshalCalls = "unsafe.marshalCalls";

        /// <summary><c>delegate*</c> function pointer types.</summary>
        public const string FunctionPointers = "unsafe.functionPointers";

        /// <summary>Source files with at least one of the constructs above.</summary>
        public const string Files = "unsafe.files";

        public static IReadOnlyList<string> All { get; } = [Blocks, Members, Stackalloc, Fixed, PInvoke, MarshalCalls, FunctionPointers, Files];
    }

    public IReadOnlyList<RuleDescriptor> Rules => [];

    public void Run(CodeCompilation compilation, CodeSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(compilation);
        ArgumentNullException.ThrowIfNull(sink);
        var totals = new Counter();
        foreach (var tree in compilation.Trees)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var file = new Counter();
            var root = tree.GetRoot(cancellationToken);
            var complete = !TooDeepToParse(root);
            try
            {
                file.Visit(root);
            }
            catch (InsufficientExecutionStackException)
            {
                // What was counted before the walker ran out of stack is real; the rest is missing.
                complete = false;
            }

            if (!complete)
            {
                sink.Notify(new Notification("code-inventory-incomplete", NotificationLevel.Warning,
                    "Nested too deeply for a complete unsafe-code inventory: what lies past the nesting limit is not counted.")
                { Path = compilation.PathOf(tree) });
            }

            totals.Add(file);
        }

        sink.Count(Statistics.Blocks, totals.Blocks);
        sink.Count(Statistics.Members, totals.Members);
        sink.Count(Statistics.Stackalloc, totals.Stackalloc);
        sink.Count(Statistics.Fixed, totals.Fixed);
        sink.Count(Statistics.PInvoke, totals.PInvoke);
        sink.Count(Statistics.MarshalCalls, totals.MarshalCalls);
        sink.Count(Statistics.FunctionPointers, totals.FunctionPointers);
        sink.Count(Statistics.Files, totals.Files);
    }

    /// <summary>
    /// The parser stops at its nesting limit and skips the rest of the construct (CS8078, "An expression is too long or
    /// complex to compile"): the tree then lacks whatever was inside.
    /// </summary>
    private static bool TooDeepToParse(SyntaxNode root) =>
        root.ContainsDiagnostics && root.GetDiagnostics().Any(d => d.Id == "CS8078");

    /// <summary>
    /// Counts one tree (or sums several). A walker over nodes only: tokens and trivia are skipped, so the words in
    /// comments and strings never count. The tree is as deep as the code is nested; Roslyn's walker guards its
    /// own recursion with <see cref="InsufficientExecutionStackException"/>; <see cref="Run"/> then keeps what was
    /// counted and says the file's figures are short, as it does when the parser itself gave up (<see cref="TooDeepToParse"/>).
    /// </summary>
    private sealed class Counter() : CSharpSyntaxWalker(SyntaxWalkerDepth.Node)
    {
        public long Blocks { get; private set; }

        public long Members { get; private set; }

        public long Stackalloc { get; private set; }

        public long Fixed { get; private set; }

        public long PInvoke { get; private set; }

        public long MarshalCalls { get; private set; }

        public long FunctionPointers { get; private set; }

        public long Files { get; private set; }

        private long Any => Blocks + Members + Stackalloc + Fixed + PInvoke + MarshalCalls + FunctionPointers;

        public void Add(Counter file)
        {
            Blocks += file.Blocks;
            Members += file.Members;
            Stackalloc += file.Stackalloc;
            Fixed += file.Fixed;
            PInvoke += file.PInvoke;
            MarshalCalls += file.MarshalCalls;
            FunctionPointers += file.FunctionPointers;
            Files += file.Files + (file.Any > 0 ? 1 : 0);
        }

        public override void VisitUnsafeStatement(UnsafeStatementSyntax node)
        {
            Blocks++;
            base.VisitUnsafeStatement(node);
        }

        public override void VisitFixedStatement(FixedStatementSyntax node)
        {
            Fixed++;
            base.VisitFixedStatement(node);
        }

        public override void VisitStackAllocArrayCreationExpression(StackAllocArrayCreationExpressionSyntax node)
        {
            Stackalloc++;
            base.VisitStackAllocArrayCreationExpression(node);
        }

        public override void VisitImplicitStackAllocArrayCreationExpression(ImplicitStackAllocArrayCreationExpressionSyntax node)
        {
            Stackalloc++;
            base.VisitImplicitStackAllocArrayCreationExpression(node);
        }

        public override void VisitFunctionPointerType(FunctionPointerTypeSyntax node)
        {
            FunctionPointers++;
            base.VisitFunctionPointerType(node);
        }

        public override void VisitInvocationExpression(InvocationExpressionSyntax node)
        {
            if (node.Expression is MemberAccessExpressionSyntax { Expression: var receiver } && RightmostName(receiver) == "Marshal")
            {
                MarshalCalls++;
            }

            base.VisitInvocationExpression(node);
        }

        public override void VisitMethodDeclaration(MethodDeclarationSyntax node)
        {
            if (node.AttributeLists.SelectMany(l => l.Attributes).Any(a => IsImportAttribute(RightmostName(a.Name))))
            {
                PInvoke++;
            }

            base.VisitMethodDeclaration(node);
        }

        public override void VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
        {
            CountUnsafeModifier(node.Modifiers);
            base.VisitLocalFunctionStatement(node);
        }

        public override void DefaultVisit(SyntaxNode node)
        {
            if (node is MemberDeclarationSyntax member)
            {
                CountUnsafeModifier(member.Modifiers);
            }

            base.DefaultVisit(node);
        }

        private void CountUnsafeModifier(SyntaxTokenList modifiers)
        {
            if (modifiers.Any(SyntaxKind.UnsafeKeyword))
            {
                Members++;
            }
        }

        private static bool IsImportAttribute(string? name) =>
            name is "DllImport" or "DllImportAttribute" or "LibraryImport" or "LibraryImportAttribute";

        /// <summary><c>Marshal</c> for <c>Marshal</c>, <c>InteropServices.Marshal</c>, <c>global::...Marshal</c>.</summary>
        private static string? RightmostName(ExpressionSyntax expression) => expression switch
        {
            IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
            _ => null,
        };
    }
}
