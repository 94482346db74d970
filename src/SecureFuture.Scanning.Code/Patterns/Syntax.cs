using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace SecureFuture.Scanning.Code.Patterns;

/// <summary>Syntax shapes the patterns share: where a trigger name sits and what expression it belongs to.</summary>
internal static class Syntax
{
    /// <summary>The last identifier of a name or expression: <c>Microsoft.X.Y</c> → <c>Y</c>, <c>a.b.C()</c> → <c>C</c>.</summary>
    public static string LastName(SyntaxNode? node) => node switch
    {
        SimpleNameSyntax s => s.Identifier.ValueText,
        QualifiedNameSyntax q => q.Right.Identifier.ValueText,
        AliasQualifiedNameSyntax a => a.Name.Identifier.ValueText,
        MemberAccessExpressionSyntax m => m.Name.Identifier.ValueText,
        MemberBindingExpressionSyntax b => b.Name.Identifier.ValueText,
        ConditionalAccessExpressionSyntax c => LastName(c.WhenNotNull),
        InvocationExpressionSyntax { Expression: InvocationExpressionSyntax } => string.Empty, // f()(): no name
        InvocationExpressionSyntax i => LastName(i.Expression),
        NullableTypeSyntax n => LastName(n.ElementType),
        _ => string.Empty,
    };

    /// <summary>The name node extended over a qualification it ends: <c>System.Security.Cryptography.MD5</c> for <c>MD5</c>.</summary>
    public static SyntaxNode Qualified(SimpleNameSyntax name) =>
        name.Parent is QualifiedNameSyntax q && q.Right == name ? q
        : name.Parent is AliasQualifiedNameSyntax a && a.Name == name ? a
        : name;

    /// <summary>
    /// For a type name: the expression that makes or uses an instance of it, <c>new T(...)</c> or <c>T.Member(...)</c>
    /// (with the member's name), or null when the name is only a declaration's type.
    /// </summary>
    public static (ExpressionSyntax Expression, string Member, ArgumentListSyntax? Arguments)? TypeUse(SimpleNameSyntax typeName)
    {
        var node = Qualified(typeName);
        if (node.Parent is ObjectCreationExpressionSyntax creation && creation.Type == node)
        {
            return (creation, ".ctor", creation.ArgumentList);
        }

        if (node.Parent is MemberAccessExpressionSyntax access && access.Expression == node)
        {
            return access.Parent is InvocationExpressionSyntax invocation && invocation.Expression == access
                ? (invocation, access.Name.Identifier.ValueText, invocation.ArgumentList)
                : (access, access.Name.Identifier.ValueText, null);
        }

        return null;
    }

    /// <summary>For a member name in <c>x.Name(...)</c>: the invocation, else null.</summary>
    public static InvocationExpressionSyntax? InvocationOf(SimpleNameSyntax memberName) =>
        memberName.Parent switch
        {
            MemberAccessExpressionSyntax access when access.Name == memberName && access.Parent is InvocationExpressionSyntax i && i.Expression == access => i,
            MemberBindingExpressionSyntax binding when binding.Parent is InvocationExpressionSyntax i && i.Expression == binding => i,
            InvocationExpressionSyntax i when i.Expression == memberName => i,
            _ => null,
        };

    /// <summary>
    /// For a member name assigned to, <c>x.Name = value</c>, <c>new T { Name = value }</c> or <c>x.Name += value</c>:
    /// the assignment, else null.
    /// </summary>
    public static AssignmentExpressionSyntax? AssignmentTo(SimpleNameSyntax memberName)
    {
        SyntaxNode target = memberName.Parent is MemberAccessExpressionSyntax access && access.Name == memberName ? access : memberName;
        return target.Parent is AssignmentExpressionSyntax assignment && assignment.Left == target ? assignment : null;
    }

    /// <summary>The object creation whose initializer holds <paramref name="assignment"/>, if it is an initializer member.</summary>
    public static BaseObjectCreationExpressionSyntax? InitializedObject(AssignmentExpressionSyntax assignment) =>
        assignment.Parent is InitializerExpressionSyntax { RawKind: (int)SyntaxKind.ObjectInitializerExpression } init
            ? init.Parent as BaseObjectCreationExpressionSyntax
            : null;

    /// <summary>The receiver of a member access assignment (<c>p</c> in <c>p.X = v</c>), null for an initializer member.</summary>
    public static ExpressionSyntax? Receiver(AssignmentExpressionSyntax assignment) =>
        assignment.Left is MemberAccessExpressionSyntax access ? access.Expression : null;

    /// <summary>The body (block or expression) of the member, local function or top-level code around a node.</summary>
    public static SyntaxNode? EnclosingBody(SyntaxNode node)
    {
        foreach (var ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case BaseMethodDeclarationSyntax m:
                    return (SyntaxNode?)m.Body ?? m.ExpressionBody;
                case LocalFunctionStatementSyntax l:
                    return (SyntaxNode?)l.Body ?? l.ExpressionBody;
                case AccessorDeclarationSyntax a:
                    return (SyntaxNode?)a.Body ?? a.ExpressionBody;
                case PropertyDeclarationSyntax p:
                    return p.ExpressionBody;
                case CompilationUnitSyntax unit:
                    return unit;
            }
        }

        return null;
    }

    /// <summary>The name of the method, local function or property around a node, or empty.</summary>
    public static string EnclosingMemberName(SyntaxNode node)
    {
        foreach (var ancestor in node.Ancestors())
        {
            switch (ancestor)
            {
                case MethodDeclarationSyntax m:
                    return m.Identifier.ValueText;
                case LocalFunctionStatementSyntax l:
                    return l.Identifier.ValueText;
                case PropertyDeclarationSyntax p:
                    return p.Identifier.ValueText;
                case BaseTypeDeclarationSyntax:
                    return string.Empty;
            }
        }

        return string.Empty;
    }

    /// <summary>
    /// The declared type or name a target-typed <c>new()</c> takes its type from: the variable's type, the member
    /// assigned to, or the return type of the method it is returned from.
    /// </summary>
    public static SyntaxNode? TargetTypeOf(ImplicitObjectCreationExpressionSyntax creation) => creation.Parent switch
    {
        AssignmentExpressionSyntax a => a.Left,
        EqualsValueClauseSyntax { Parent: VariableDeclaratorSyntax { Parent: VariableDeclarationSyntax d } } => d.Type,
        EqualsValueClauseSyntax { Parent: PropertyDeclarationSyntax p } => p.Type,
        ArrowExpressionClauseSyntax or ReturnStatementSyntax => creation.Ancestors().OfType<MemberDeclarationSyntax>().FirstOrDefault() switch
        {
            MethodDeclarationSyntax m => m.ReturnType,
            PropertyDeclarationSyntax p => p.Type,
            _ => null,
        },
        _ => null,
    };

    /// <summary>A string constant: a literal read from its token (no binding), or a named constant bound through the model.</summary>
    public static string? ConstantString(ExpressionSyntax expression, SemanticModel model) => expression switch
    {
        LiteralExpressionSyntax { Token.Value: string literal } => literal,
        LiteralExpressionSyntax => null,
        IdentifierNameSyntax or MemberAccessExpressionSyntax => model.GetConstantValue(expression) is { HasValue: true, Value: string value } ? value : null,
        _ => null,
    };

    /// <summary>Whether a value is being set (assigned, passed, stored or returned) rather than compared against.</summary>
    public static bool IsSetting(ExpressionSyntax value) =>
        value.Parent is AssignmentExpressionSyntax { Right: var right } ? right == value
        : value.Parent is ArgumentSyntax or EqualsValueClauseSyntax or ArrowExpressionClauseSyntax or ReturnStatementSyntax;

    /// <summary>Whether the expression is the literal <c>false</c> (or a constant that is).</summary>
    public static bool IsFalse(ExpressionSyntax expression, SemanticModel? model = null) =>
        expression.IsKind(SyntaxKind.FalseLiteralExpression)
        || (model is not null && model.GetConstantValue(expression) is { HasValue: true, Value: false });

    public static bool IsTrue(ExpressionSyntax expression) =>
        expression.WalkDownParentheses().IsKind(SyntaxKind.TrueLiteralExpression);

    /// <summary>Strips parentheses, casts and the null-forgiving operator.</summary>
    public static ExpressionSyntax WalkDownParentheses(this ExpressionSyntax expression)
    {
        while (true)
        {
            switch (expression)
            {
                case ParenthesizedExpressionSyntax p:
                    expression = p.Expression;
                    break;
                case PostfixUnaryExpressionSyntax { RawKind: (int)SyntaxKind.SuppressNullableWarningExpression } n:
                    expression = n.Operand;
                    break;
                default:
                    return expression;
            }
        }
    }

    /// <summary>The span from a member name to the end of its invocation: <c>AllowCredentials()</c> in <c>p.AllowAnyOrigin().AllowCredentials()</c>.</summary>
    public static Location NameThroughArguments(SimpleNameSyntax name, InvocationExpressionSyntax invocation) =>
        Location.Create(name.SyntaxTree, Microsoft.CodeAnalysis.Text.TextSpan.FromBounds(name.SpanStart, invocation.Span.End));
}
