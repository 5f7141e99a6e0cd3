/**
 * The reference the workstation words and judges events with, loaded once per
 * sign-in: the domain configuration documents the data center replicates
 * (`config/get`, compiled here with core's `parseDomainConfig` into the
 * calendar, taxonomy, responsibility matrix and ladder that `decide`,
 * `suggestLeadUnit` and `computeDeadline` take), the units (`units/list`) and
 * the area tree (`areas/tree`) for names. Each part may fail on its own; the
 * view degrades (no suggestion, codes instead of names) and says why.
 */
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { toRpcError, type RpcError } from '../../core/errors';
import type { AreaNode } from '../../core/geo/types';
import type { Unit } from '../../core/org/types';
import type { AreasTree } from '../../core/rpc/contract';
import { flattenTaxonomy, lineage } from '../../core/taxonomy/tree';
import { parseDomainConfig, type DomainConfig } from '../../core/workflow/domain-config';
import { useI18n } from '../i18n';
import { useRpc } from '../rpc/rpc-context';

export interface AreaEntry {
  code: string;
  name: string;
  level: AreaNode['level'];
  parentCode: string | null;
}

export interface Domain {
  cfg: DomainConfig | null;
  cfgError: RpcError | null;
  units: Unit[];
  unitsError: RpcError | null;
  unitById: ReadonlyMap<string, Unit>;
  tree: AreasTree | null;
  areaByCode: ReadonlyMap<string, AreaEntry>;
  towns: AreaEntry[];
  /** short unit name, or the id when unknown */
  unitName(id: string | null | undefined): string;
  /** the category's own name (English when the taxonomy has one and the UI is English) */
  categoryName(code: string | null | undefined): string;
  /** names from the major category down, joined with " / " */
  categoryPath(code: string | null | undefined): string;
  /** town · village of an event, or the code */
  placeName(area: { townCode: string | null; villageCode: string | null; gridCode?: string | null }): string;
  reload(): void;
}

const DomainContext = createContext<Domain | null>(null);

export function DomainProvider({ children }: { children: ReactNode }) {
  const rpc = useRpc();
  const { locale } = useI18n();
  const [cfg, setCfg] = useState<DomainConfig | null>(null);
  const [cfgError, setCfgError] = useState<RpcError | null>(null);
  const [units, setUnits] = useState<Unit[]>([]);
  const [unitsError, setUnitsError] = useState<RpcError | null>(null);
  const [tree, setTree] = useState<AreasTree | null>(null);
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let live = true;
    rpc.invoke('config/get').then(
      (answer) => {
        if (!live) return;
        const parsed = parseDomainConfig(answer.documents);
        if (parsed.ok) {
          setCfg(parsed.value);
          setCfgError(null);
        } else setCfgError(parsed.error);
      },
      (err: unknown) => live && setCfgError(toRpcError(err)),
    );
    rpc.invoke('units/list').then(
      (answer) => {
        if (!live) return;
        setUnits(answer.units);
        setUnitsError(null);
      },
      (err: unknown) => live && setUnitsError(toRpcError(err)),
    );
    rpc.invoke('areas/tree').then(
      (answer) => live && setTree(answer),
      () => {},
    );
    return () => {
      live = false;
    };
  }, [rpc, attempt]);

  const reload = useCallback(() => setAttempt((a) => a + 1), []);

  // The replica fills after sign-in (the snapshot follows the login) and is
  // replaced on a new epoch (another scope, a re-snapshot): read the reference
  // again then, and while a part is still missing, whenever the sync moves on.
  const missing = cfg === null || units.length === 0 || tree === null;
  const missingRef = useRef(missing);
  missingRef.current = missing;
  useEffect(() => {
    let epoch: string | null | undefined;
    let last = 0;
    let timer: ReturnType<typeof setTimeout> | null = null;
    const off = rpc.subscribe('sync/status', (status) => {
      const next = status.cursor?.epoch ?? null;
      const newEpoch = epoch !== undefined && next !== epoch;
      epoch = next;
      if (!newEpoch && !(missingRef.current && status.state === 'live')) return;
      // at most one reload a second
      const wait = Math.max(0, last + 1000 - Date.now());
      timer ??= setTimeout(() => {
        timer = null;
        last = Date.now();
        setAttempt((a) => a + 1);
      }, wait);
    });
    return () => {
      off();
      if (timer) clearTimeout(timer);
    };
  }, [rpc]);

  const value = useMemo<Domain>(() => {
    const unitById = new Map(units.map((u) => [u.id, u]));
    const areaByCode = new Map<string, AreaEntry>();
    const walk = (n: AreaNode) => {
      areaByCode.set(n.code, { code: n.code, name: n.name, level: n.level, parentCode: n.parentCode });
      n.children.forEach(walk);
    };
    if (tree) walk(tree.district);
    const towns = tree ? tree.district.children.map((t) => areaByCode.get(t.code)!) : [];
    const en = locale === 'en';
    const nodeName = (code: string) => {
      const node = cfg?.taxonomy.byCode.get(code)?.node;
      return node ? (en && node.nameEn ? node.nameEn : node.name) : code;
    };
    return {
      cfg,
      cfgError,
      units,
      unitsError,
      unitById,
      tree,
      areaByCode,
      towns,
      unitName: (id) => (id ? (unitById.get(id)?.shortName ?? id) : ''),
      categoryName: (code) => (code ? nodeName(code) : ''),
      categoryPath: (code) => {
        if (!code) return '';
        if (!cfg) return code;
        const chain = lineage(cfg.taxonomy, code).reverse();
        return chain.length ? chain.map((n) => (en && n.nameEn ? n.nameEn : n.name)).join(' / ') : code;
      },
      placeName: (a) => {
        const town = a.townCode ? (areaByCode.get(a.townCode)?.name ?? a.townCode) : '';
        const village = a.villageCode ? (areaByCode.get(a.villageCode)?.name ?? a.villageCode) : '';
        return [town, village].filter(Boolean).join(' · ');
      },
      reload,
    };
  }, [cfg, cfgError, units, unitsError, tree, locale, reload]);

  return <DomainContext.Provider value={value}>{children}</DomainContext.Provider>;
}

export function useDomain(): Domain {
  const d = useContext(DomainContext);
  if (!d) throw new Error('useDomain() outside <DomainProvider>');
  return d;
}

/** Every taxonomy node as a picker option: the path for the label, the code as the hint. */
export function categoryOptions(cfg: DomainConfig | null, en: boolean): { value: string; label: string; hint: string; keywords: string }[] {
  if (!cfg) return [];
  return flattenTaxonomy(cfg.taxonomy).map(({ node }) => {
    const path = lineage(cfg.taxonomy, node.code)
      .reverse()
      .map((n) => (en && n.nameEn ? n.nameEn : n.name));
    return { value: node.code, label: path.join(' / '), hint: node.code, keywords: `${node.name} ${node.nameEn ?? ''}` };
  });
}
