namespace SecureFuture.Findings;

/// <summary>
/// The one spelling of an analysis category. GitHub's <c>automationDetails.id</c> convention ends a category with
/// <c>/</c> (<c>"secrets/"</c>, what <c>sfi</c> writes), while people name categories without it (<c>--category
/// secrets</c>, <c>--expect secrets</c>): both are the same category, so it is kept without the trailing slash.
/// </summary>
public static class AnalysisCategory
{
    /// <summary><paramref name="category"/> without one trailing <c>/</c> (unless that is all there is).</summary>
    public static string Normalize(string category)
    {
        ArgumentNullException.ThrowIfNull(category);
        return category.Length > 1 && category.EndsWith('/') ? category[..^1] : category;
    }
}
