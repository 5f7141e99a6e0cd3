/**
 * The supervisor's ready deadline and stop grace in tests run on a manual clock, so that a loaded machine's slow
 * child start-up cannot use up a timeout the test is about: the service layer's, which the web host may import.
 */
export { manualClock } from '../../service/test-clock';
