/**
 * Facts about one parsed file that rule predicates ask for: qualified names through imports, constant
 * values, string building, local data flow. Everything is computed lazily and cached per file, so a
 * file no predicate asks about costs nothing beyond its parse.
 *
 * The data flow is deliberately small: it follows plain assignments to a local name within the
 * enclosing function (then outer scopes), treats parameters as unknown, and stops at sanitizer calls.
 * That is enough to tell `cursor.execute(query)` with a constant `query` from one built with an f-string.
 */
import type { Node, Query } from 'web-tree-sitter';
import type { CodeFacts } from './rules/rule';
import { createTaint, isDangerous, TAINTED, UNKNOWN, type Taint } from './taint';
import { rowsContaining } from './line-ranges';
import type { LanguageId } from './types';

/** The query the facts run on demand (ranged to the lines naming what is looked up). */
export interface FactQueries {
  readonly definitions: Query;
}

/** The captures of one import-pattern match, in the order the engine's combined query produced them. */
export type ImportMatch = ReadonlyArray<{ readonly name: string; readonly node: Node }>;

/**
 * Query sources, per language family. `imports` patterns run inside the engine's single pass over the
 * file (a separate pass would cost as much as the rules themselves); `definitions` runs ranged.
 */
export const FACT_QUERY_SOURCES: Readonly<Record<'python' | 'js', { readonly imports: string; readonly scopes: string; readonly definitions: string }>> = {
  python: {
    scopes: '(function_definition) @scope (lambda) @scope (class_definition) @scope',
    imports: `
      (import_statement) @import
      (import_from_statement) @from
      (assignment left: (identifier) @name right: [(attribute) (identifier)] @value) @alias`,
    definitions: `
      (assignment left: (identifier) @name right: (_) @value) @def
      (augmented_assignment left: (identifier) @name right: (_) @value) @aug
      (with_item value: (as_pattern . (_) @value alias: (as_pattern_target (identifier) @name))) @def`,
  },
  js: {
    scopes: `(function_declaration) @scope (function_expression) @scope (arrow_function) @scope
      (method_definition) @scope (generator_function_declaration) @scope (generator_function) @scope`,
    imports: `
      (import_statement) @import
      (variable_declarator name: (_) @name value: (_) @value) @alias`,
    definitions: `
      (variable_declarator name: (identifier) @name value: (_) @value) @def
      (assignment_expression left: (identifier) @name right: (_) @value) @def
      (augmented_assignment_expression left: (identifier) @name right: (_) @value) @aug`,
  },
};

const JS_GLOBAL_OBJECTS = new Set(['window', 'globalThis', 'global', 'self']);
const MAX_FLOW_DEPTH = 8;
// How deep the syntax walks below go before giving up with the cautious answer (not constant, may be
// tainted): `"a" + y + "a" + ...` nests one level per term, and hostile input must not exhaust the stack.
const MAX_NESTING = 400;

interface Definition {
  readonly value: Node;
  readonly whole: Node;
  readonly augmented: boolean;
  readonly start: number;
  readonly end: number;
}

/** Normalises a module specifier: `node:fs` and `fs` are the same module. */
export function normalizeModule(name: string): string {
  return name.startsWith('node:') ? name.slice(5) : name;
}

/** Builds a deny-list matcher: a denied `lodash` also denies `lodash/fp` and `lodash.merge`. */
export function deniedModuleMatcher(denied: ReadonlyArray<string>): (moduleName: string) => boolean {
  const entries = denied.map((d) => normalizeModule(d.trim())).filter((d) => d.length > 0);
  return (moduleName) => {
    const name = normalizeModule(moduleName);
    return entries.some((d) => name === d || name.startsWith(`${d}.`) || name.startsWith(`${d}/`));
  };
}

/** Creates the lazily computed facts for one parsed file. */
export function createCodeFacts(
  root: Node,
  language: LanguageId,
  queries: FactQueries,
  isDeniedModule: (moduleName: string) => boolean,
  text: string,
  lineStarts: ReadonlyArray<number>,
  importMatches: ReadonlyArray<ImportMatch>,
  scopeNodes: ReadonlyArray<Node>,
): CodeFacts {
  const python = language === 'python';
  // Function (and class) scopes as intervals, sorted by start. Finding a node's scope by interval
  // instead of walking `.parent` matters: web-tree-sitter computes a parent by descending from the
  // root, which costs as many steps as a large module has top-level statements.
  const scopes = scopeNodes
    .map((node) => ({ node, start: node.startIndex, end: node.endIndex }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  let bindings: Map<string, string> | undefined;
  const placedBindings = new Map<string, Array<{ readonly target: string; readonly start: number; readonly scope: Node }>>();
  // definitions of every name, filled by one pass over the file when a name is too common to look up by lines
  let allDefinitions: Map<string, Definition[]> | undefined;
  const definitionsByName = new Map<string, ReadonlyArray<Definition>>();
  const scopeCache = new Map<number, Node>();
  const mentioned = new Map<string, boolean>();
  const parameterCache = new Map<number, ReadonlySet<string>>();

  function scopeOf(node: Node): Node {
    const cached = scopeCache.get(node.id);
    if (cached !== undefined) return cached;
    const start = node.startIndex;
    const end = node.endIndex;
    // the last scope starting at or before the node; walking back, the first that contains it is the innermost
    let lo = 0;
    let hi = scopes.length - 1;
    let last = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((scopes[mid]?.start ?? 0) <= start) {
        last = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    let scope: Node = root;
    for (let i = last; i >= 0; i--) {
      const candidate = scopes[i];
      if (candidate !== undefined && candidate.node.id !== node.id && candidate.start <= start && end <= candidate.end) {
        scope = candidate.node;
        break;
      }
    }
    scopeCache.set(node.id, scope);
    return scope;
  }

  function parametersOf(scope: Node): ReadonlySet<string> {
    const cached = parameterCache.get(scope.id);
    if (cached !== undefined) return cached;
    const names = new Set<string>();
    const holders = [scope.childForFieldName('parameters'), scope.childForFieldName('parameter')];
    for (const holder of holders) {
      if (holder === null) continue;
      if (holder.type === 'identifier') names.add(holder.text);
      for (const id of holder.descendantsOfType(['identifier', 'shorthand_property_identifier_pattern'])) {
        if (id !== null) names.add(id.text);
      }
    }
    parameterCache.set(scope.id, names);
    return names;
  }

  function collectDefinitions(into: Map<string, Definition[]>, only: string | undefined, options?: { startPosition: { row: number; column: number }; endPosition: { row: number; column: number } }): void {
    const seen = new Set<number>();
    for (const match of queries.definitions.matches(root, options)) {
      let name: Node | undefined;
      let value: Node | undefined;
      let whole: Node | undefined;
      for (const c of match.captures) {
        if (c.name === 'name') name = c.node;
        else if (c.name === 'value') value = c.node;
        else whole = c.node;
      }
      if (name === undefined || value === undefined || whole === undefined) continue;
      if (only !== undefined && name.text !== only) continue;
      if (seen.has(whole.id)) continue;
      seen.add(whole.id);
      const list = into.get(name.text) ?? [];
      list.push({ value, whole, augmented: whole.type.startsWith('augmented'), start: whole.startIndex, end: whole.endIndex });
      into.set(name.text, list);
    }
  }

  /** Assignments to `name` anywhere in the file, in source order. */
  function definitionsOf(name: string): ReadonlyArray<Definition> {
    const cached = definitionsByName.get(name) ?? allDefinitions?.get(name);
    if (cached !== undefined) return cached;
    if (allDefinitions !== undefined) return [];
    const ranges = rowsContaining(text, lineStarts, [name], true);
    if (ranges === undefined) {
      allDefinitions = new Map();
      collectDefinitions(allDefinitions, undefined);
      return allDefinitions.get(name) ?? [];
    }
    const found = new Map<string, Definition[]>();
    for (const range of ranges) {
      collectDefinitions(found, name, { startPosition: { row: range.startRow, column: 0 }, endPosition: { row: range.endRow, column: 0 } });
    }
    const list = (found.get(name) ?? []).sort((a, b) => a.start - b.start);
    definitionsByName.set(name, list);
    return list;
  }

  /** The values a name may hold where `usage` reads it, or undefined when unknown (a parameter, no assignment). */
  function resolve(usage: Node): ReadonlyArray<Node> | undefined {
    const defs = definitionsOf(usage.text);
    let scope: Node | null = scopeOf(usage);
    let innermost = true;
    while (scope !== null) {
      if (scope.id !== root.id && parametersOf(scope).has(usage.text)) return undefined;
      const scopeId = scope.id;
      const candidates = defs.filter(
        (d) =>
          scopeOf(d.whole).id === scopeId &&
          // an assignment whose value contains the usage (`x = x + 1`) does not define what it reads
          !(d.start <= usage.startIndex && usage.endIndex <= d.end) &&
          (!innermost || d.start < usage.startIndex),
      );
      if (candidates.length > 0) {
        let lastPlain = -1;
        candidates.forEach((d, i) => {
          if (!d.augmented) lastPlain = i;
        });
        return candidates.slice(Math.max(lastPlain, 0)).map((d) => d.value);
      }
      if (scope.id === root.id) return undefined;
      scope = scopeOf(scope);
      innermost = false;
    }
    return undefined;
  }

  function bindingsMap(): Map<string, string> {
    if (bindings !== undefined) return bindings;
    // every binding also remembers where it was made, so a name resolves to the import that precedes it in
    // its scope (a decoy `from x import exec` after an `exec(...)` call does not rename that call)
    let current: Node | undefined;
    const positioned = placedBindings;
    class PlacedBindings extends Map<string, string> {
      override set(key: string, value: string): this {
        if (current !== undefined) {
          const list = positioned.get(key) ?? [];
          list.push({ target: value, start: current.startIndex, scope: scopeOf(current) });
          positioned.set(key, list);
        }
        return super.set(key, value);
      }
    }
    bindings = new PlacedBindings();
    const map = bindings;
    for (const captures of importMatches) {
      if (captures.length === 0) continue;
      current = captures[0]?.node;
      if (python) bindPython(map, captures.map((c) => [c.name, c.node] as const));
      else bindJs(map, captures.map((c) => [c.name, c.node] as const));
    }
    current = undefined;
    return map;
  }

  /** What a name refers to where `usage` reads it: the last binding before it in a scope around it. */
  function boundName(usage: Node): string | undefined {
    const map = bindingsMap();
    if (!map.has(usage.text)) return undefined;
    const list = placedBindings.get(usage.text);
    if (list === undefined) return map.get(usage.text);
    let best: { target: string; start: number } | undefined;
    for (const b of list) {
      if (b.start >= usage.startIndex) continue;
      const scopeHolds = b.scope.id === root.id || (b.scope.startIndex <= usage.startIndex && usage.endIndex <= b.scope.endIndex);
      if (scopeHolds && (best === undefined || b.start > best.start)) best = b;
    }
    return best?.target;
  }

  function bindPython(map: Map<string, string>, captures: ReadonlyArray<readonly [string, Node]>): void {
    const [kind, node] = captures[0] ?? [];
    if (node === undefined) return;
    if (kind === 'import') {
      for (const name of node.childrenForFieldName('name')) {
        if (name === null) continue;
        if (name.type === 'aliased_import') {
          const target = name.childForFieldName('name')?.text;
          const alias = name.childForFieldName('alias')?.text;
          if (target !== undefined && alias !== undefined) map.set(alias, target);
        } else {
          const head = name.text.split('.')[0];
          if (head !== undefined) map.set(head, head);
        }
      }
    } else if (kind === 'from') {
      const moduleName = node.childForFieldName('module_name')?.text;
      if (moduleName === undefined) return;
      for (const name of node.childrenForFieldName('name')) {
        if (name === null) continue;
        if (name.type === 'aliased_import') {
          const target = name.childForFieldName('name')?.text;
          const alias = name.childForFieldName('alias')?.text;
          if (target !== undefined && alias !== undefined) map.set(alias, `${moduleName}.${target}`);
        } else map.set(name.text, `${moduleName}.${name.text}`);
      }
    } else {
      const name = captures.find(([k]) => k === 'name')?.[1];
      const value = captures.find(([k]) => k === 'value')?.[1];
      if (name === undefined || value === undefined) return;
      const head = headIdentifier(value);
      if (head !== undefined && map.has(head.text)) {
        const q = qualifiedName(value);
        if (q !== undefined) map.set(name.text, q);
      }
    }
  }

  function bindJs(map: Map<string, string>, captures: ReadonlyArray<readonly [string, Node]>): void {
    const [kind, node] = captures[0] ?? [];
    if (node === undefined) return;
    if (kind === 'import') {
      const source = stringValue(node.childForFieldName('source'));
      if (source === undefined) return;
      const moduleName = normalizeModule(source);
      for (const child of node.namedChildren) {
        if (child === null) continue;
        if (child.type === 'import_require_clause') {
          const id = child.namedChildren.find((c) => c?.type === 'identifier');
          if (id) map.set(id.text, moduleName);
        }
        if (child.type !== 'import_clause') continue;
        for (const part of child.namedChildren) {
          if (part === null) continue;
          if (part.type === 'identifier') map.set(part.text, moduleName);
          else if (part.type === 'namespace_import') {
            const id = part.namedChildren.find((c) => c?.type === 'identifier');
            if (id) map.set(id.text, moduleName);
          } else if (part.type === 'named_imports') {
            for (const spec of part.namedChildren) {
              if (spec?.type !== 'import_specifier') continue;
              const imported = spec.childForFieldName('name');
              const alias = spec.childForFieldName('alias') ?? imported;
              const importedName = imported?.type === 'string' ? stringValue(imported) : imported?.text;
              if (alias && importedName !== undefined) map.set(alias.text, `${moduleName}.${importedName}`);
            }
          }
        }
      }
      return;
    }
    const name = captures.find(([k]) => k === 'name')?.[1];
    let value = captures.find(([k]) => k === 'value')?.[1];
    if (name === undefined || value === undefined) return;
    // `const run = promisify(exec)` (util.promisify) is the same function, awaited
    if (value.type === 'call_expression' && /^(util\.)?promisify$/.test(qualifiedName(value.childForFieldName('function')) ?? '')) {
      value = argument(value, 0);
      if (value === undefined) return;
    }
    if (!comesFromModule(value, map)) return;
    const q = qualifiedName(value);
    if (q === undefined) return;
    if (name.type === 'identifier') map.set(name.text, q);
    else if (name.type === 'object_pattern') {
      for (const prop of name.namedChildren) {
        if (prop === null) continue;
        if (prop.type === 'shorthand_property_identifier_pattern') map.set(prop.text, `${q}.${prop.text}`);
        else if (prop.type === 'pair_pattern') {
          const key = prop.childForFieldName('key');
          const local = prop.childForFieldName('value');
          const keyName = key?.type === 'string' ? stringValue(key) : key?.text;
          if (local?.type === 'identifier' && keyName !== undefined) map.set(local.text, `${q}.${keyName}`);
        }
      }
    }
  }

  function comesFromModule(value: Node, map: Map<string, string>): boolean {
    let current: Node | null = value;
    while (current !== null) {
      switch (current.type) {
        case 'await_expression':
        case 'parenthesized_expression':
          current = current.namedChildren[0] ?? null;
          break;
        case 'member_expression':
        case 'subscript_expression':
          current = current.childForFieldName('object');
          break;
        case 'call_expression': {
          const fn = current.childForFieldName('function');
          if (fn !== null && (fn.type === 'import' || (fn.type === 'identifier' && fn.text === 'require'))) return true;
          // `const vm = new NodeVM()` / `const s = sandbox()`: an instance made by an imported constructor or factory
          // (a plain identifier callee only: `a.b().c()` chains are not followed)
          return fn?.type === 'identifier' && map.has(fn.text);
        }
        case 'new_expression': {
          const ctor = current.childForFieldName('constructor');
          if (ctor === null) return false;
          current = ctor;
          break;
        }
        case 'identifier':
          return map.has(current.text);
        default:
          return false;
      }
    }
    return false;
  }

  function headIdentifier(node: Node): Node | undefined {
    let current: Node | null = node;
    while (current !== null && current.type !== 'identifier') {
      if (current.type === 'attribute') current = current.childForFieldName('object');
      else return undefined;
    }
    return current ?? undefined;
  }

  function qualifiedName(node: Node | null | undefined): string | undefined {
    if (node === null || node === undefined) return undefined;
    return python ? qualifiedPython(node, 0) : qualifiedJs(node, 0);
  }

  function qualifiedPython(node: Node, nesting: number): string | undefined {
    // a name chain deeper than any real code is not a name we know
    if (nesting > MAX_NESTING) return undefined;
    switch (node.type) {
      case 'identifier':
        return boundName(node) ?? node.text;
      case 'attribute': {
        const object = qualifiedPython(node.childForFieldName('object') ?? node, nesting + 1);
        const attribute = node.childForFieldName('attribute')?.text;
        return object === undefined || attribute === undefined ? undefined : `${object}.${attribute}`;
      }
      case 'call': {
        const fn = node.childForFieldName('function');
        const q = fn === null ? undefined : qualifiedPython(fn, nesting + 1);
        if (q === undefined) return undefined;
        // getattr(os, "system") is os.system; __import__("os") and importlib.import_module("os") are os
        if (q === 'getattr' || q === 'builtins.getattr') {
          const target = argument(node, 0);
          const attribute = stringValue(argument(node, 1));
          const base = target === undefined ? undefined : qualifiedPython(target, nesting + 1);
          if (base !== undefined && attribute !== undefined && /^[A-Za-z_]\w*$/.test(attribute)) return `${base}.${attribute}`;
        }
        if (q === '__import__' || q === 'builtins.__import__' || q === 'importlib.import_module') {
          const moduleName = stringValue(argument(node, 0));
          if (moduleName !== undefined && /^[A-Za-z_][\w.]*$/.test(moduleName)) return moduleName;
        }
        return `${q}()`;
      }
      case 'subscript': {
        const value = node.childForFieldName('value');
        const q = value === null ? undefined : qualifiedPython(value, nesting + 1);
        return q === undefined ? undefined : `${q}[]`;
      }
      case 'parenthesized_expression': {
        const inner = node.namedChildren[0];
        return inner ? qualifiedPython(inner, nesting + 1) : undefined;
      }
      default:
        return undefined;
    }
  }

  function qualifiedJs(node: Node, nesting: number): string | undefined {
    if (nesting > MAX_NESTING) return undefined;
    switch (node.type) {
      case 'identifier':
        return boundName(node) ?? node.text;
      case 'this':
        return 'this';
      case 'member_expression':
      case 'subscript_expression': {
        const objectNode = node.childForFieldName('object');
        if (objectNode === null) return undefined;
        let property: string | undefined;
        if (node.type === 'member_expression') property = node.childForFieldName('property')?.text;
        else {
          const index = node.childForFieldName('index');
          property = stringValue(index) ?? '[]';
        }
        if (property === undefined) return undefined;
        // `window.eval`, `globalThis.setTimeout`: the global object adds nothing to the name.
        if (objectNode.type === 'identifier' && JS_GLOBAL_OBJECTS.has(objectNode.text) && !bindingsMap().has(objectNode.text)) {
          return property === '[]' ? undefined : property;
        }
        const object = qualifiedJs(objectNode, nesting + 1);
        if (object === undefined) return undefined;
        return property === '[]' ? `${object}[]` : `${object}.${property}`;
      }
      case 'call_expression': {
        const fn = node.childForFieldName('function');
        if (fn === null) return undefined;
        if (fn.type === 'import' || (fn.type === 'identifier' && fn.text === 'require' && !bindingsMap().has('require'))) {
          const specifier = stringValue(argument(node, 0));
          return specifier === undefined ? undefined : normalizeModule(specifier);
        }
        const q = qualifiedJs(fn, nesting + 1);
        return q === undefined ? undefined : `${q}()`;
      }
      case 'new_expression': {
        const ctor = node.childForFieldName('constructor');
        const q = ctor === null ? undefined : qualifiedJs(ctor, nesting + 1);
        return q === undefined ? undefined : `${q}()`;
      }
      case 'sequence_expression': {
        // TypeScript's CommonJS output calls imports as `(0, module_1.fn)(...)`
        const last = node.namedChildren[node.namedChildren.length - 1];
        return last ? qualifiedJs(last, nesting + 1) : undefined;
      }
      case 'parenthesized_expression':
      case 'await_expression':
      case 'non_null_expression':
      case 'as_expression':
      case 'satisfies_expression': {
        const inner = node.namedChildren[0];
        return inner ? qualifiedJs(inner, nesting + 1) : undefined;
      }
      default:
        return undefined;
    }
  }

  function calleeName(call: Node | null | undefined): string | undefined {
    if (call === null || call === undefined) return undefined;
    const fn = call.type === 'new_expression' ? call.childForFieldName('constructor') : call.childForFieldName('function');
    return qualifiedName(fn);
  }

  function argumentList(call: Node | null | undefined): Node | null {
    if (call === null || call === undefined) return null;
    return call.childForFieldName('arguments');
  }

  function positionalArguments(call: Node | null | undefined): ReadonlyArray<Node> {
    const args = argumentList(call);
    if (args === null) return [];
    const out: Node[] = [];
    for (const child of args.namedChildren) {
      if (child === null || child.type === 'comment') continue;
      if (python && (child.type === 'keyword_argument' || child.type === 'dictionary_splat')) continue;
      out.push(child);
    }
    return out;
  }

  function argument(call: Node | null | undefined, index: number): Node | undefined {
    return positionalArguments(call)[index];
  }

  function keywordArgument(call: Node | null | undefined, name: string): Node | undefined {
    const args = argumentList(call);
    if (args === null) return undefined;
    for (const child of args.namedChildren) {
      if (child === null) continue;
      if (python) {
        if (child.type === 'keyword_argument' && child.childForFieldName('name')?.text === name) {
          return child.childForFieldName('value') ?? undefined;
        }
      } else if (child.type === 'object') {
        const found = objectProperty(child, name);
        if (found !== undefined) return found;
      }
    }
    return undefined;
  }

  function objectProperty(object: Node, name: string): Node | undefined {
    for (const prop of object.namedChildren) {
      if (prop === null) continue;
      if (prop.type === 'shorthand_property_identifier' && prop.text === name) return prop;
      if (prop.type === 'pair') {
        const key = prop.childForFieldName('key');
        const keyName = key?.type === 'string' ? stringValue(key) : key?.text;
        if (keyName === name) return prop.childForFieldName('value') ?? undefined;
      }
    }
    return undefined;
  }

  function stringValue(node: Node | null | undefined): string | undefined {
    if (node === null || node === undefined) return undefined;
    if (python) {
      if (node.type === 'concatenated_string') {
        const parts = node.namedChildren.map((c) => stringValue(c));
        return parts.every((p) => p !== undefined) ? parts.join('') : undefined;
      }
      if (node.type !== 'string') return undefined;
      let out = '';
      for (const child of node.namedChildren) {
        if (child === null) continue;
        if (child.type === 'interpolation') return undefined;
        if (child.type === 'string_content') out += child.text;
      }
      return out;
    }
    if (node.type !== 'string' && node.type !== 'template_string') return undefined;
    let out = '';
    for (const child of node.namedChildren) {
      if (child === null) continue;
      if (child.type === 'template_substitution') return undefined;
      if (child.type === 'string_fragment' || child.type === 'escape_sequence') out += child.text;
    }
    return out;
  }

  function isStringLike(node: Node | null | undefined, depth = 0, seen: Set<number> = new Set(), nesting = 0): boolean {
    if (node === null || node === undefined || depth > MAX_FLOW_DEPTH || seen.has(node.id)) return false;
    if (nesting > MAX_NESTING) return true;
    seen.add(node.id);
    const next = nesting + 1;
    switch (node.type) {
      case 'string':
      case 'concatenated_string':
      case 'template_string':
        return true;
      case 'binary_operator': {
        const op = node.childForFieldName('operator')?.type;
        const left = node.childForFieldName('left');
        if (op === '%') return isStringLike(left, depth, seen, next);
        return op === '+' && (isStringLike(left, depth, seen, next) || isStringLike(node.childForFieldName('right'), depth, seen, next));
      }
      case 'binary_expression': {
        const op = node.childForFieldName('operator')?.type;
        return op === '+' && (isStringLike(node.childForFieldName('left'), depth, seen, next) || isStringLike(node.childForFieldName('right'), depth, seen, next));
      }
      case 'call':
      case 'call_expression': {
        const fn = node.childForFieldName('function');
        if (fn === null) return false;
        if (python && fn.type === 'identifier' && fn.text === 'str') return true;
        const member = python ? (fn.type === 'attribute' ? fn.childForFieldName('attribute') : null) : fn.type === 'member_expression' ? fn.childForFieldName('property') : null;
        const object = fn.childForFieldName('object');
        const method = member?.text;
        if (method === undefined) return false;
        const builders = python ? ['format', 'join', 'replace', 'strip', 'lower', 'upper'] : ['concat', 'join', 'replace', 'replaceAll', 'trim', 'toString'];
        return builders.includes(method) && isStringLike(object, depth, seen, next);
      }
      case 'parenthesized_expression':
        return isStringLike(node.namedChildren[0], depth, seen, next);
      case 'conditional_expression':
        return isStringLike(node.namedChildren[0], depth, seen, next) || isStringLike(node.namedChildren[2], depth, seen, next);
      case 'ternary_expression':
        return isStringLike(node.childForFieldName('consequence'), depth, seen, next) || isStringLike(node.childForFieldName('alternative'), depth, seen, next);
      case 'identifier': {
        const values = resolve(node);
        return values !== undefined && values.some((v) => isStringLike(v, depth + 1, seen, next));
      }
      default:
        return false;
    }
  }

  function literalText(node: Node | null | undefined, depth = 0, seen: Set<number> = new Set()): string {
    if (node === null || node === undefined || depth > MAX_FLOW_DEPTH || seen.has(node.id)) return '';
    seen.add(node.id);
    if (node.type === 'identifier') {
      const values = resolve(node) ?? [];
      return values.map((v) => literalText(v, depth + 1, seen)).join(' ');
    }
    const parts: string[] = [];
    for (const fragment of node.descendantsOfType(['string_content', 'string_fragment', 'identifier'])) {
      if (fragment === null) continue;
      if (fragment.type === 'identifier') {
        if (fragment.id !== node.id) parts.push(literalText(fragment, depth + 1, seen));
      } else parts.push(fragment.text);
    }
    return parts.join(' ');
  }

  function isFalsy(node: Node | null | undefined): boolean {
    if (node === null || node === undefined) return false;
    switch (node.type) {
      case 'false':
      case 'none':
      case 'null':
      case 'undefined':
        return true;
      case 'integer':
      case 'number':
        return Number(node.text) === 0;
      case 'string':
        return stringValue(node) === '';
      case 'identifier':
        return !python && node.text === 'undefined';
      default:
        return false;
    }
  }

  function flowsFrom(
    node: Node | null | undefined,
    sources: ReadonlyArray<RegExp>,
    sanitizers: ReadonlyArray<RegExp>,
  ): boolean {
    const seen = new Set<number>();
    const visit = (n: Node, depth: number, nesting: number): boolean => {
      if (depth > MAX_FLOW_DEPTH || seen.has(n.id)) return false;
      if (nesting > MAX_NESTING) return true;
      seen.add(n.id);
      const isCall = n.type === 'call' || n.type === 'call_expression' || n.type === 'new_expression';
      if (isCall) {
        const callee = calleeName(n);
        if (callee !== undefined && sanitizers.some((s) => s.test(callee))) return false;
      }
      const q = qualifiedName(n);
      if (q !== undefined && sources.some((s) => s.test(q))) return true;
      if (n.type === 'identifier') {
        const values = resolve(n);
        return values !== undefined && values.some((v) => visit(v, depth + 1, nesting + 1));
      }
      for (const child of n.namedChildren) {
        if (child !== null && visit(child, depth, nesting + 1)) return true;
      }
      return false;
    };
    return node !== null && node !== undefined && visit(node, 0, 0);
  }

  function purposeNames(node: Node): ReadonlyArray<string> {
    const names: string[] = [];
    let current: Node | null = node.parent;
    while (current !== null) {
      const type = current.type;
      if (python) {
        if (type === 'assignment' || type === 'augmented_assignment') {
          const left = current.childForFieldName('left');
          if (left) names.push(left.text);
        } else if (type === 'keyword_argument') {
          const name = current.childForFieldName('name');
          if (name) names.push(name.text);
        } else if (type === 'pair') {
          const key = current.childForFieldName('key');
          if (key) names.push(stringValue(key) ?? key.text);
        } else if (type === 'function_definition') {
          const name = current.childForFieldName('name');
          if (name) names.push(name.text);
          break;
        } else if (type === 'class_definition' || type === 'module') break;
      } else {
        if (type === 'variable_declarator') {
          const name = current.childForFieldName('name');
          if (name) names.push(name.text);
        } else if (type === 'assignment_expression' || type === 'augmented_assignment_expression') {
          const left = current.childForFieldName('left');
          if (left) names.push(left.text);
        } else if (type === 'pair') {
          const key = current.childForFieldName('key');
          if (key) names.push(stringValue(key) ?? key.text);
        } else if (type === 'function_declaration' || type === 'method_definition' || type === 'generator_function_declaration') {
          const name = current.childForFieldName('name');
          if (name) names.push(name.text);
          break;
        } else if (type === 'function_expression' || type === 'function') {
          // a named function expression names its purpose; an anonymous one (a callback, an arrow
          // assigned to a name) takes the purpose of where it is used, so keep walking
          const name = current.childForFieldName('name');
          if (name) {
            names.push(name.text);
            break;
          }
        } else if (type === 'class_body' || type === 'program') break;
      }
      current = current.parent;
    }
    return names;
  }

  let taint: Taint | undefined;
  const flow = (): Taint =>
    (taint ??= createTaint({ language, root, text, qualifiedName, calleeName, stringValue, scopeOf, isImported: (name) => bindingsMap().has(name) }));

  return {
    language,
    valueOf: (node) => flow().valueOf(node),
    isTainted: (node, kind) => node !== null && node !== undefined && isDangerous(flow().valueOf(node), kind, TAINTED),
    isUnsafe: (node, kind) => node !== null && node !== undefined && isDangerous(flow().valueOf(node), kind, UNKNOWN),
    isDead: (node) => flow().isDead(node),
    qualifiedName,
    isImported: (name) => bindingsMap().has(name),
    calleeName,
    isStatic: (node) => node !== null && node !== undefined && flow().valueOf(node).level === 0,
    isDynamicString: (node) => isStringLike(node) && !(node !== null && node !== undefined && flow().valueOf(node).level <= 1),
    isStringLike: (node) => isStringLike(node),
    literalText: (node) => literalText(node),
    stringValue,
    argument,
    positionalArguments,
    keywordArgument,
    isFalsy,
    flowsFrom,
    purposeNames,
    mentions: (word) => {
      const key = typeof word === 'string' ? word : word.source;
      let known = mentioned.get(key);
      if (known === undefined) {
        known = typeof word === 'string' ? text.includes(word) : word.test(text);
        mentioned.set(key, known);
      }
      return known;
    },
    isDeniedModule,
  };
}
