// A workload of your own (docs/workloads.md): IoT temperature sensors. Each timestep every sensor's
// temperature takes a random-walk step, pulled back toward the ambient temperature and pushed up by
// the sun and by heatwaves; a watchdog raises an alarm while a sensor is above `alarmAbove`. Every
// sensor sends its reading (keyed by fleet and sensor, so a sensor's readings stay on one partition
// and in order), and while the alarm is on an `alarm` message lists the hot sensors.
//
// A scenario's workload names it by path (relative to the scenario file), with params over these.

export default {
  params: {
    ambient: 20, // °C the sensors drift back to
    pull: 0.1, // share of the distance to ambient closed each step
    noise: 0.4, // sd of each sensor's random-walk step
    sunPeriod: 24, // timesteps per day
    sunAmplitude: 0.5, // °C the sun adds at noon (and takes at midnight), per step
    heatwaveChance: 0.02, // chance a heatwave starts on a step
    heatwave: 3, // °C a heatwave adds on the step it hits
    alarmAbove: 24,
    loss: 0, // chance a reading is lost on the way
  },

  // one temperature per sensor; the alarm and how many times it went on
  initialState: { temperatures: [20, 21, 19, 22], alarm: false, alarms: 0 },

  policies: {
    // each sensor's own random-walk step
    walk: (params, step, state, rng) => ({ steps: state.temperatures.map(() => rng.normal(0, params.noise)) }),
    // the sun and heatwaves both heat every sensor: their `heat` signals are summed
    sun: (params, step) => ({ heat: params.sunAmplitude * Math.sin((2 * Math.PI * step) / params.sunPeriod) }),
    heatwave: (params, step, state, rng) => ({ heat: rng.next() < params.heatwaveChance ? params.heatwave : 0 }),
    // the watchdog reads the temperatures before this step
    watchdog: (params, step, state) => ({ alarm: state.temperatures.some((t) => t > params.alarmAbove) }),
  },

  updates: {
    temperatures: (params, step, state, signals) =>
      state.temperatures.map((t, i) => Math.round((t + params.pull * (params.ambient - t) + signals.heat + signals.steps[i]) * 100) / 100),
    alarm: (params, step, state, signals) => signals.alarm,
    // state.alarm is the alarm before this step: a new alarm is one that was off
    alarms: (params, step, state, signals) => state.alarms + (signals.alarm && !state.alarm ? 1 : 0),
  },

  // `run`: each Monte Carlo run is a fleet of its own, with keys of its own
  emit(params, step, state, rng, { run }) {
    const readings = state.temperatures
      .map((temperature, sensor) => ({ key: `fleet-${run}/sensor-${sensor}`, value: { run, sensor, step, temperature } }))
      .filter(() => rng.next() >= params.loss);
    if (!state.alarm) return readings;
    const hot = state.temperatures.flatMap((t, sensor) => (t > params.alarmAbove ? [sensor] : []));
    return [...readings, { key: `fleet-${run}/alarm`, value: { run, step, hot, alarms: state.alarms } }];
  },
};
