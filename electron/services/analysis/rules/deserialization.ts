/**
 * Unsafe deserialisation: formats whose loaders can construct arbitrary objects or run code — CWE-502.
 */
import { JS_FAMILY } from '../types';
import { callee } from './patterns';
import { cwe, type Rule } from './rule';

const PICKLE_LIKE = new Set([
  'pickle.load',
  'pickle.loads',
  'pickle.Unpickler',
  'cPickle.load',
  'cPickle.loads',
  'cPickle.Unpickler',
  '_pickle.load',
  '_pickle.loads',
  'dill.load',
  'dill.loads',
  'shelve.open',
  'jsonpickle.decode',
  'pandas.read_pickle',
  'joblib.load',
  'cloudpickle.load',
  'cloudpickle.loads',
]);
const SAFE_YAML_LOADERS = /(^|\.)(SafeLoader|CSafeLoader|BaseLoader|CBaseLoader)$/;

/** Rules for loaders that can run code. */
export const deserializationRules: ReadonlyArray<Rule> = [
  {
    id: 'python.deserialization.pickle',
    title: 'pickle-family load of data',
    category: 'deserialization',
    severity: 'high',
    cwe: [cwe(502)],
    languages: ['python'],
    calls: [...PICKLE_LIKE],
    // a literal in the source is the author's own data
    predicate: (m) => !m.code.isStatic(m.code.argument(m.capture('finding'), 0)),
    message: 'Unpickling runs constructors named by the data itself; a crafted payload executes code on load.',
    remediation: 'Exchange data as JSON (json.loads) or another schema-checked format; never unpickle data from outside the process.',
  },
  {
    id: 'python.deserialization.marshal',
    title: 'marshal load of data',
    category: 'deserialization',
    severity: 'high',
    cwe: [cwe(502)],
    languages: ['python'],
    calls: ['marshal.load', 'marshal.loads'],
    message: 'marshal is not safe against erroneous or maliciously constructed data (Python docs) and loads code objects.',
    remediation: 'Use json or another format meant for data exchange.',
  },
  {
    id: 'python.deserialization.yaml-load',
    title: 'yaml.load without a safe loader',
    category: 'deserialization',
    severity: 'high',
    cwe: [cwe(502)],
    languages: ['python'],
    calls: ['yaml.load', 'yaml.load_all', 'yaml.unsafe_load', 'yaml.unsafe_load_all'],
    predicate: (m) => {
      const call = m.capture('finding');
      const document = m.code.argument(call, 0);
      // a constant document is the author's own, unless it carries object-constructing tags itself
      if (m.code.isStatic(document)) return /!!python\//.test(m.code.literalText(document));
      if (/unsafe_load/.test(callee(m) ?? '')) return true;
      const loader = m.code.keywordArgument(call, 'Loader') ?? m.code.argument(call, 1);
      if (loader === undefined) return true;
      return !SAFE_YAML_LOADERS.test(m.code.qualifiedName(loader) ?? loader.text);
    },
    message: 'yaml.load with the default or full/unsafe loader constructs arbitrary Python objects from tags in the document.',
    remediation: 'Use yaml.safe_load(), or yaml.load(data, Loader=yaml.SafeLoader).',
  },
  {
    id: 'python.deserialization.ruamel-unsafe',
    title: "ruamel.yaml with the unsafe loader",
    category: 'deserialization',
    severity: 'high',
    cwe: [cwe(502)],
    languages: ['python'],
    calls: ['ruamel.yaml.YAML'],
    predicate: (m) => {
      const typ = m.code.keywordArgument(m.capture('finding'), 'typ');
      return typ !== undefined && m.code.valueOf(typ).value === 'unsafe';
    },
    message: "YAML(typ='unsafe') constructs arbitrary Python objects from tags in the document.",
    remediation: "Use YAML(typ='safe') (or the default round-trip loader, typ='rt').",
  },
  {
    id: 'python.deserialization.connection-recv',
    title: 'multiprocessing connection receive (unpickles)',
    category: 'deserialization',
    severity: 'high',
    cwe: [cwe(502)],
    languages: ['python'],
    calls: ['*.recv'],
    predicate: (m) => {
      const receiver = m.capture('finding')?.childForFieldName('function')?.childForFieldName('object');
      // Connection.recv() unpickles what the peer sent; a listener's connections come from the network
      return m.code.mentions('multiprocessing') && m.code.flowsFrom(receiver, [/^multiprocessing\.connection\.(Client|Listener)\(\)/], []);
    },
    message: 'multiprocessing.connection.Connection.recv() unpickles what the other end sent: a peer that can connect can run code here.',
    remediation: 'Use send_bytes/recv_bytes with a data format such as JSON, and authenticate the listener (authkey).',
  },
  {
    id: 'python.deserialization.torch-load',
    title: 'torch.load without weights_only=True',
    category: 'deserialization',
    severity: 'medium',
    cwe: [cwe(502)],
    languages: ['python'],
    calls: ['torch.load'],
    predicate: (m) => {
      const weightsOnly = m.code.keywordArgument(m.capture('finding'), 'weights_only');
      return weightsOnly === undefined || weightsOnly.type !== 'true';
    },
    message: 'torch.load unpickles the file unless weights_only=True, so a model file can carry code.',
    remediation: 'Pass weights_only=True, or load safetensors files.',
  },
  {
    id: 'js.deserialization.unsafe-unserialize',
    title: 'Deserialiser that revives functions',
    category: 'deserialization',
    severity: 'high',
    cwe: [cwe(502)],
    languages: JS_FAMILY,
    calls: [
      'node-serialize.unserialize',
      'serialize-to-js.deserialize',
      'funcster.deepDeserialize',
      'cryo.parse',
      'js-yaml.load',
      'js-yaml.loadAll',
    ],
    predicate: (m) => {
      if (!/^js-yaml\./.test(callee(m) ?? '')) return true;
      // js-yaml before v4, and v4 with the schema from js-yaml-js-types, revives functions
      const schema = m.code.keywordArgument(m.capture('finding'), 'schema');
      return schema !== undefined && /DEFAULT_FULL_SCHEMA|js-types|unsafe/i.test(schema.text);
    },
    message: 'This deserialiser can revive functions from the data (node-serialize’s _$$ND_FUNC$$_, js-yaml’s !!js/function), which runs code on load.',
    remediation: 'Exchange data as JSON (JSON.parse) and validate it with a schema.',
  },
];
