/**
 * Stand-in for DistrictMap in DOM tests: WebGL does not run in happy-dom, so
 * tests replace the map with this component (via `vi.mock`) and check what
 * the view asked of it: the model it drew, the selected town, and camera moves.
 */
import { useEffect, useImperativeHandle } from 'react';
import type { BBox, LonLat } from '../../core/geo/types';
import type { DistrictMapProps } from '../map/DistrictMap';

export const mapCalls: {
  fits: BBox[];
  flights: { center: LonLat; zoom?: number }[];
  focused: string[];
  lastProps: DistrictMapProps | null;
  /** times a `liveLayers` source told the map its layers changed (a hand-over without a render) */
  liveHandOvers: number;
} = {
  fits: [],
  flights: [],
  focused: [],
  lastProps: null,
  liveHandOvers: 0,
};

export function resetMapCalls() {
  mapCalls.fits = [];
  mapCalls.flights = [];
  mapCalls.focused = [];
  mapCalls.lastProps = null;
  mapCalls.liveHandOvers = 0;
}

export function DistrictMapStub(props: DistrictMapProps) {
  mapCalls.lastProps = props;
  const live = props.liveLayers ?? null;
  useEffect(() => live?.subscribe(() => void mapCalls.liveHandOvers++), [live]);
  useImperativeHandle(props.ref, () => ({
    fitBBox: (bbox: BBox) => void mapCalls.fits.push(bbox),
    zoomIn: () => {},
    zoomOut: () => {},
    flyTo: (center: LonLat, zoom?: number) => void mapCalls.flights.push(zoom === undefined ? { center } : { center, zoom }),
    focusArea: (code: string) => {
      mapCalls.focused.push(code);
      return true;
    },
    getZoom: () => 10,
  }));
  return <div data-testid="district-map" data-grids={props.model.totals.grids} data-selected={props.selectedTownCode ?? ''} />;
}
