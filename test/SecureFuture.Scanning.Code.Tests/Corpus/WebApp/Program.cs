using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using WebApp.Data;
using WebApp.Endpoints;
using WebApp.Hosting;
using WebApp.Hubs;
using WebApp.Security;
using WebApp.Services;

var builder = WebApplication.CreateBuilder(args);

builder.Services.AddControllersWithViews();
builder.Services.AddRazorPages();
builder.Services.AddSignalR();
builder.Services.AddDbContext<ShopDbContext>(options => options.UseSqlServer(builder.Configuration.GetConnectionString("Shop")));
builder.Services.AddScoped<ProductRepository>();
builder.Services.AddScoped<OrderRepository>();
builder.Services.AddScoped<CustomerRepository>();
builder.Services.AddScoped<CatalogueService>();
builder.Services.AddScoped<ImportService>();
builder.Services.AddSingleton<FileStorage>();
builder.Services.AddSingleton<ReportRenderer>();
builder.Services.AddSingleton<ModerationService>();
builder.Services.AddSingleton<DirectoryLookup>();
builder.Services.AddHttpClient<WebhookService>();

var signingKeys = SigningKeys.Load(builder.Configuration);
builder.Services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme)
    .AddJwtBearer(options => options.TokenValidationParameters = TokenValidation.ForApi(builder.Configuration, signingKeys))
    .AddJwtBearer("partners", options => options.TokenValidationParameters = TokenValidation.ForPartners(signingKeys))
    .AddCookie("browser", options => options.LoginPath = "/account/login");

builder.Services.AddCors(options =>
{
    options.AddPolicy("partners", policy => policy.WithOrigins("https://partners.contoso.example").AllowCredentials().AllowAnyHeader()); // SAFE: cors-any-origin-credentials
    options.AddPolicy("public-catalogue", policy => policy.AllowAnyOrigin().AllowAnyMethod()); // SAFE: cors-any-origin-credentials
    options.AddPolicy("widgets", policy => policy.AllowAnyOrigin().AllowAnyHeader().AllowCredentials()); // VULN: cors-any-origin-credentials
});

var app = builder.Build();

if (app.Environment.IsDevelopment())
{
    app.UseDeveloperExceptionPage(); // SAFE: developer-exception-page
}
else
{
    app.UseExceptionHandler("/error");
    app.UseHsts();
}

app.UseMiddleware<RequestLogging>();
app.UseStaticFiles();
app.UseRouting();
app.UseCors();
app.UseAuthentication();
app.UseAuthorization();

app.MapControllers();
app.MapRazorPages();
app.MapHub<ChatHub>("/hubs/chat");
app.MapCatalogueEndpoints();
app.MapAdminEndpoints();

app.Run();
