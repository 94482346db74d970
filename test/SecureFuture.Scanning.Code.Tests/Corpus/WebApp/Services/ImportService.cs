using System.Runtime.Serialization.Formatters.Binary;
using System.Text.Json;
using System.Xml;
using Newtonsoft.Json;
using WebApp.Data;

namespace WebApp.Services;

public sealed class ImportService
{
    /// <summary>Orders exported by the old desktop client, posted as-is.</summary>
    public object LoadLegacyOrders(Stream body)
    {
#pragma warning disable SYSLIB0011
        var formatter = new BinaryFormatter();
        return formatter.Deserialize(body); // VULN: unsafe-deserialization
#pragma warning restore SYSLIB0011
    }

    public object? LoadPolymorphicOrders(string json) =>
        JsonConvert.DeserializeObject(json, new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.Auto }); // VULN: unsafe-deserialization

    public List<Order>? LoadOrders(string json) =>
        JsonConvert.DeserializeObject<List<Order>>(json, new JsonSerializerSettings { TypeNameHandling = TypeNameHandling.None }); // SAFE: unsafe-deserialization

    public List<Order>? LoadOrdersWithSystemTextJson(string json) =>
        System.Text.Json.JsonSerializer.Deserialize<List<Order>>(json, JsonSerializerOptions.Web); // SAFE: unsafe-deserialization

    public XmlDocument LoadCatalogue(Stream body)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Parse, XmlResolver = new XmlUrlResolver() };
        using var reader = XmlReader.Create(body, settings); // VULN: xxe
        var document = new XmlDocument();
        document.Load(reader);
        return document;
    }

    public XmlDocument LoadCatalogueSafely(Stream body)
    {
        var settings = new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null };
        using var reader = XmlReader.Create(body, settings); // SAFE: xxe
        var document = new XmlDocument { XmlResolver = null };
        document.Load(reader);
        return document;
    }

    public XmlDocument LoadPriceList(string xml)
    {
        var document = new XmlDocument { XmlResolver = new XmlUrlResolver() };
        document.LoadXml(xml); // VULN: xxe
        return document;
    }

    public static XmlNodeList? FindBySku(XmlDocument catalogue, string sku) =>
        catalogue.SelectNodes("//product[@sku='" + sku + "']"); // VULN: xpath-injection

    public static XmlNode? FindById(XmlDocument catalogue, int id) =>
        catalogue.SelectSingleNode($"//product[@id={id}]"); // SAFE: xpath-injection
}
