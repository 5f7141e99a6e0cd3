/**
 * The district's map model for the workstation's small maps (event detail,
 * intake pick), loaded once for the whole view (`areas/tree` +
 * `grids/geometry` → `buildMapModel`) the first time a map asks for it.
 */
import { createContext, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { AreasTree, GridsGeometry } from '../../core/rpc/contract';
import { buildMapModel, type MapModel } from '../map/map-model';
import { useRpc } from '../rpc/rpc-context';

interface MapData {
  model: MapModel | null;
  failed: boolean;
  /** a map wants the model: start loading (once) */
  want(): void;
}

const MapDataContext = createContext<MapData | null>(null);

export function MapDataProvider({ children }: { children: ReactNode }) {
  const rpc = useRpc();
  const [wanted, setWanted] = useState(false);
  const [data, setData] = useState<{ tree: AreasTree; geometry: GridsGeometry } | null>(null);
  const [failed, setFailed] = useState(false);
  useEffect(() => {
    if (!wanted) return;
    let live = true;
    Promise.all([rpc.invoke('areas/tree'), rpc.invoke('grids/geometry', {})]).then(
      ([tree, geometry]) => live && setData({ tree, geometry }),
      () => live && setFailed(true),
    );
    return () => {
      live = false;
    };
  }, [rpc, wanted]);
  const model = useMemo(() => (data ? buildMapModel(data.tree, data.geometry) : null), [data]);
  const value = useMemo<MapData>(() => ({ model, failed, want: () => setWanted(true) }), [model, failed]);
  return <MapDataContext.Provider value={value}>{children}</MapDataContext.Provider>;
}

/** The map model (null while loading); asking for it starts the load. */
export function useMapModel(): { model: MapModel | null; failed: boolean } {
  const ctx = useContext(MapDataContext);
  if (!ctx) throw new Error('useMapModel() outside <MapDataProvider>');
  const { want, model, failed } = ctx;
  useEffect(() => want(), [want]);
  return { model, failed };
}
