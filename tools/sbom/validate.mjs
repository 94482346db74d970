// Validates an SBOM against its official JSON schema with Ajv: `node validate.mjs cyclonedx|spdx FILE`, or any JSON
// document against a JSON schema file (Kubernetes manifests, GitLab reports): `node validate.mjs schema SCHEMA FILE`.
// Exit 0 when valid, 1 with the schema errors on standard error when not, 2 on a usage error.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const [kind, ...rest] = process.argv.slice(2);
const file = rest[rest.length - 1];
const read = (path) => JSON.parse(readFileSync(path, 'utf8'));

const ajv = new Ajv({ strict: false, allErrors: true, validateFormats: true });
addFormats(ajv);
// Formats of JSON Schema that ajv-formats lacks; sfi writes neither (no URLs, no e-mail addresses), so a
// non-blank check keeps the schema compiling without loosening anything sfi's output relies on.
ajv.addFormat('iri-reference', /^\S*$/u);
ajv.addFormat('idn-email', /^\S+@\S+$/u);
let schema;
if (kind === 'cyclonedx') {
  // CycloneDX 1.6 refers to the SPDX licence list, JSF and the cryptography definitions by $id.
  const res = join(dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json')), 'res', 'schema');
  for (const name of ['spdx.SNAPSHOT.schema.json', 'jsf-0.82.SNAPSHOT.schema.json', 'cryptography-defs.SNAPSHOT.schema.json']) {
    // The library's copies are named *.SNAPSHOT.*, and the bom schema refers to them by that file name.
    ajv.addSchema({ ...read(join(res, name)), $id: `http://cyclonedx.org/schema/${name}` });
  }
  schema = read(join(res, 'bom-1.6.SNAPSHOT.schema.json'));
} else if (kind === 'spdx') {
  schema = read(join(here, 'schemas', 'spdx-2.3.schema.json'));
} else if (kind === 'schema' && rest.length === 2) {
  // Kubernetes' schemas (openapi2jsonschema) name no draft Ajv knows and use OpenAPI's numeric formats: the draft-07
  // rules apply, and int32/int64/double/byte are checked for what they say.
  const { $schema, ...body } = read(rest[0]);
  schema = body;
  ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -(2 ** 31) && n < 2 ** 31 });
  ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
  ajv.addFormat('double', { type: 'number', validate: () => true });
  ajv.addFormat('byte', /^[A-Za-z0-9+/]*={0,2}$/u);
} else {
  console.error('usage: node validate.mjs cyclonedx|spdx FILE | node validate.mjs schema SCHEMA FILE');
  process.exit(2);
}

const validate = ajv.compile(schema);
if (validate(read(file))) {
  console.log(`${file}: valid ${kind === 'schema' ? rest[0] : kind}`);
} else {
  for (const error of validate.errors) {
    console.error(`${file}: ${error.instancePath || '/'} ${error.message} ${JSON.stringify(error.params)}`);
  }
  process.exit(1);
}
