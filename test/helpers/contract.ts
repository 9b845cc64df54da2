import { DocumentNode, Kind, parse, print } from 'graphql';

type Def = { kind: string; fields: any[]; values: any[]; directives: any[] };

function index(doc: DocumentNode): Map<string, Def> {
  const types = new Map<string, Def>();
  for (const d of doc.definitions as any[]) {
    if (!d.name) continue;
    const t: Def = types.get(d.name.value) ?? { kind: d.kind.replace('Extension', 'Definition'), fields: [], values: [], directives: [] };
    t.fields.push(...(d.fields ?? []));
    t.values.push(...(d.values ?? []));
    t.directives.push(...(d.directives ?? []));
    types.set(d.name.value, t);
  }
  return types;
}

const keys = (t: Def) => t.directives.filter((d) => d.name.value === 'key').map((d) => print(d).replace(/\s/g, ''));

/** Every type, field, argument (with type and default), enum value and @key of `contract` that `sdl` lacks or changes. */
export function contractGaps(contract: string, sdl: string): string[] {
  const want = index(parse(contract));
  const have = index(parse(sdl));
  const gaps: string[] = [];
  for (const [name, w] of want) {
    const h = have.get(name);
    if (!h) {
      gaps.push(`missing type ${name}`);
      continue;
    }
    if (w.kind !== h.kind) gaps.push(`${name} is ${h.kind}, contract says ${w.kind}`);
    for (const wf of w.fields) {
      const hf = h.fields.find((f) => f.name.value === wf.name.value);
      if (!hf) {
        gaps.push(`missing field ${name}.${wf.name.value}`);
        continue;
      }
      if (print(wf.type) !== print(hf.type)) gaps.push(`${name}.${wf.name.value}: ${print(hf.type)} instead of ${print(wf.type)}`);
      if (wf.defaultValue && (!hf.defaultValue || print(wf.defaultValue) !== print(hf.defaultValue))) gaps.push(`${name}.${wf.name.value} default differs`);
      for (const wa of wf.arguments ?? []) {
        const ha = (hf.arguments ?? []).find((a: any) => a.name.value === wa.name.value);
        if (!ha) gaps.push(`missing argument ${name}.${wf.name.value}(${wa.name.value})`);
        else if (print(wa.type) !== print(ha.type)) gaps.push(`${name}.${wf.name.value}(${wa.name.value}): ${print(ha.type)} instead of ${print(wa.type)}`);
        else if (wa.defaultValue && (!ha.defaultValue || print(wa.defaultValue) !== print(ha.defaultValue)))
          gaps.push(`${name}.${wf.name.value}(${wa.name.value}) default differs`);
      }
      for (const ha of hf.arguments ?? []) {
        const added = !(wf.arguments ?? []).some((a: any) => a.name.value === ha.name.value);
        if (added && ha.type.kind === Kind.NON_NULL_TYPE && !ha.defaultValue) gaps.push(`${name}.${wf.name.value} adds required argument ${ha.name.value}`);
      }
    }
    for (const wv of w.values) if (!h.values.some((v) => v.name.value === wv.name.value)) gaps.push(`missing enum value ${name}.${wv.name.value}`);
    for (const k of keys(w)) if (!keys(h).includes(k)) gaps.push(`${name} lacks ${k}`);
  }
  return gaps;
}
