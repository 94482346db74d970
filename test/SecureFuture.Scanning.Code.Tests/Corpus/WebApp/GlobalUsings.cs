// The project's own global usings (as eShop's Identity.API has them): the IdentityServer packages are not restored for
// code analysis, so their calls match by name, and these imports count as the file's own.
global using IdentityServer4.Services;
