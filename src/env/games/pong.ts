/**
 * Pong with the rules and screen of the Atari 2600 game as the Arcade Learning Environment shows
 * it: 210 x 160 RGB frames, a brown playfield (144, 72, 17) between white walls (rows 24-33 and
 * 194-209), the computer's orange paddle (213, 130, 74) at columns 16-19, the agent's green paddle
 * (92, 186, 92) at columns 140-143 (both 4 x 16 pixels), a white ball (236, 236, 236) of 2 x 4
 * pixels, and the scores at the top in the paddles' colours. The action set is ALE's minimal set
 * for Pong, in ALE's order: NOOP, FIRE, RIGHT, LEFT, RIGHTFIRE, LEFTFIRE; RIGHT moves the paddle
 * up and LEFT down, as in Atari Pong, and FIRE does nothing else (the ball is served by itself).
 *
 * A point gives +1 when the agent scores (the ball leaves the screen on the left) and -1 when the
 * computer does; the game ends when one side has 21. After each point the ball is away for
 * {@linkcode SERVE_DELAY} frames, then served from the middle at a random height toward the side
 * that lost the point (the first serve goes to the agent). The ball bounces off the walls; off a
 * paddle it leaves at an angle set by where it hit (eight zones of 2.5 rows, steeper toward the
 * ends), a little faster with every paddle hit of a rally, and at {@linkcode SMASH_SPEED} after a
 * hit with either end zone. The agent's paddle has a little inertia; the computer's paddle follows
 * the ball's height at {@linkcode OPPONENT_SPEED} rows per frame, so that steep, fast balls beat
 * it: a uniformly random policy (actions held 4 frames) scores -20.6 a game on average, about as in
 * Atari Pong (-20.7), while a scripted player that aims with the paddle's ends wins about 19 to 2.
 * No Deno API here: it runs in browsers and workers.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";
import { drawNumber, makeBackground, type Rect, type Rgb, rgb } from "./frame.ts";
import { type GameOptions, type GameRules, GameVectorEnv } from "./game_env.ts";

/** ALE's minimal action set for Pong, in ALE's order. */
export const PONG_ACTIONS: readonly string[] = Object.freeze([
  "NOOP",
  "FIRE",
  "RIGHT",
  "LEFT",
  "RIGHTFIRE",
  "LEFTFIRE",
]);

/** Playfield colour. */
export const PONG_BACKGROUND: Rgb = rgb(144, 72, 17);
/** Wall colour. */
export const PONG_WALL: Rgb = rgb(236, 236, 236);
/** The agent's (right) paddle and score. */
export const PONG_AGENT: Rgb = rgb(92, 186, 92);
/** The computer's (left) paddle and score. */
export const PONG_OPPONENT: Rgb = rgb(213, 130, 74);
/** The ball. */
export const PONG_BALL: Rgb = rgb(236, 236, 236);

/** First row of the top wall. */
export const TOP_WALL_Y = 24;
/** First row of the playfield (just below the top wall). */
export const FIELD_TOP = 34;
/** First row of the bottom wall (just below the playfield); the wall reaches the frame's end. */
export const FIELD_BOTTOM = 194;
/** Paddle width in columns. */
export const PADDLE_WIDTH = 4;
/** Paddle height in rows. */
export const PADDLE_HEIGHT = 16;
/** Left column of the agent's paddle. */
export const AGENT_X = 140;
/** Left column of the computer's paddle. */
export const OPPONENT_X = 16;
/** Ball width in columns. */
export const BALL_WIDTH = 2;
/** Ball height in rows. */
export const BALL_HEIGHT = 4;
/** The highest a paddle goes: its top row at the first playfield row. */
export const PADDLE_MIN_Y: number = FIELD_TOP;
/** The lowest a paddle goes: its bottom row at the last playfield row. */
export const PADDLE_MAX_Y: number = FIELD_BOTTOM - PADDLE_HEIGHT;
/** Column where a served ball appears. */
export const SERVE_X = 78;
/** Frames without a ball after each point (and at the start). */
export const SERVE_DELAY = 60;
/** Points that end the game. */
export const WINNING_SCORE = 21;
/** Horizontal ball speed of a serve, in pixels per frame. */
export const SERVE_SPEED = 1.5;
/** Added to the horizontal speed by each paddle hit. */
export const SPEED_UP = 0.125;
/** The fastest horizontal ball speed. */
export const MAX_SPEED = 3;
/** Horizontal ball speed after a hit with either end zone of a paddle (a smash). */
export const SMASH_SPEED = 3.5;
/** Vertical speed after a hit in each of the eight zones of a paddle, top to bottom. */
export const BOUNCE_VY: readonly number[] = Object.freeze([
  -2.5,
  -1.75,
  -1,
  -0.5,
  0.5,
  1,
  1.75,
  2.5,
]);
/** Fastest speed of the computer's paddle, in rows per frame. */
export const OPPONENT_SPEED = 1.75;
/** How much of its velocity the agent's paddle keeps from frame to frame. */
export const PADDLE_DAMPING = 0.6;
/** Velocity the agent's paddle gains per frame while moved (terminal speed 3 rows per frame). */
export const PADDLE_PUSH = 1.2;

/** The state of one Pong episode (positions are the top-left corners, in pixels). */
export interface PongState {
  /** Top row of the agent's paddle. */
  agentY: number;
  /** Velocity of the agent's paddle (rows per frame, + is down). */
  agentV: number;
  /** Top row of the computer's paddle. */
  opponentY: number;
  /** Left column of the ball. */
  ballX: number;
  /** Top row of the ball. */
  ballY: number;
  /** Horizontal ball velocity (+ is toward the agent). */
  ballVX: number;
  /** Vertical ball velocity (+ is down). */
  ballVY: number;
  /** Frames until the next serve; the ball is away while > 0. */
  serveTimer: number;
  /** Whether the next serve goes toward the agent. */
  serveToAgent: boolean;
  /** Points of the agent. */
  agentScore: number;
  /** Points of the computer. */
  opponentScore: number;
}

const BACKGROUND = makeBackground(PONG_BACKGROUND, [
  { x: 0, y: TOP_WALL_Y, w: 160, h: FIELD_TOP - TOP_WALL_Y, colour: PONG_WALL },
  { x: 0, y: FIELD_BOTTOM, w: 160, h: 210 - FIELD_BOTTOM, colour: PONG_WALL },
]);

/** Where the scores are drawn: rows 0-23 above the top wall. */
export const PONG_HUD: Rect = Object.freeze({ x: 0, y: 0, w: 160, h: TOP_WALL_Y });
/** Column just right of the computer's score. */
export const OPPONENT_SCORE_RIGHT = 48;
/** Column just right of the agent's score. */
export const AGENT_SCORE_RIGHT = 128;
/** Top row of the scores (digits 12 x 20 pixels: a 3 x 5 font of 4 x 4 blocks). */
export const SCORE_TOP = 2;

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

function serve(s: PongState, rng: Rng): void {
  s.ballX = SERVE_X;
  s.ballY = FIELD_TOP + 16 + rng.int(FIELD_BOTTOM - FIELD_TOP - BALL_HEIGHT - 32);
  const vy = BOUNCE_VY[2 + rng.int(4)];
  s.ballVY = vy;
  s.ballVX = s.serveToAgent ? SERVE_SPEED : -SERVE_SPEED;
}

/** Vertical speed and faster horizontal speed after a paddle hit at paddle top `py`. */
function bounce(s: PongState, py: number, toAgent: boolean): void {
  const rel = s.ballY + BALL_HEIGHT - py; // in (0, PADDLE_HEIGHT + BALL_HEIGHT)
  const zone = clamp(Math.floor((rel * 8) / (PADDLE_HEIGHT + BALL_HEIGHT)), 0, 7);
  s.ballVY = BOUNCE_VY[zone];
  let speed = Math.min(MAX_SPEED, Math.abs(s.ballVX) + SPEED_UP);
  if (zone === 0 || zone === 7) speed = Math.max(speed, SMASH_SPEED);
  s.ballVX = toAgent ? speed : -speed;
}

function overlapsPaddle(ballY: number, py: number): boolean {
  return ballY + BALL_HEIGHT > py && ballY < py + PADDLE_HEIGHT;
}

/**
 * Advances a Pong state by one frame.
 * @param s The state, changed in place.
 * @param action An index into {@linkcode PONG_ACTIONS}.
 * @param rng The episode's generator (for serves).
 * @returns +1 when the agent scored, -1 when the computer scored, else 0.
 */
export function stepPong(s: PongState, action: number, rng: Rng): number {
  // The agent's paddle: RIGHT (2, 4) up, LEFT (3, 5) down, with a little inertia.
  const push = action === 2 || action === 4
    ? -PADDLE_PUSH
    : action === 3 || action === 5
    ? PADDLE_PUSH
    : 0;
  s.agentV = s.agentV * PADDLE_DAMPING + push;
  s.agentY += s.agentV;
  if (s.agentY < PADDLE_MIN_Y || s.agentY > PADDLE_MAX_Y) {
    s.agentY = clamp(s.agentY, PADDLE_MIN_Y, PADDLE_MAX_Y);
    s.agentV = 0;
  }
  // The computer follows the ball's centre (the field's centre while the ball is away).
  const target = s.serveTimer > 0
    ? (FIELD_TOP + FIELD_BOTTOM - PADDLE_HEIGHT) / 2
    : s.ballY + (BALL_HEIGHT - PADDLE_HEIGHT) / 2;
  s.opponentY = clamp(
    s.opponentY + clamp(target - s.opponentY, -OPPONENT_SPEED, OPPONENT_SPEED),
    PADDLE_MIN_Y,
    PADDLE_MAX_Y,
  );
  if (s.serveTimer > 0) {
    if (--s.serveTimer === 0) serve(s, rng);
    return 0;
  }
  // The ball: move, bounce off the walls, then off a paddle whose face it crosses.
  const x0 = s.ballX;
  s.ballX += s.ballVX;
  s.ballY += s.ballVY;
  if (s.ballY < FIELD_TOP) {
    s.ballY = 2 * FIELD_TOP - s.ballY;
    s.ballVY = -s.ballVY;
  } else if (s.ballY > FIELD_BOTTOM - BALL_HEIGHT) {
    s.ballY = 2 * (FIELD_BOTTOM - BALL_HEIGHT) - s.ballY;
    s.ballVY = -s.ballVY;
  }
  if (s.ballVX > 0) {
    const face = AGENT_X - BALL_WIDTH;
    if (x0 <= face && s.ballX > face && overlapsPaddle(s.ballY, s.agentY)) {
      s.ballX = face;
      bounce(s, s.agentY, false);
    }
  } else {
    const face = OPPONENT_X + PADDLE_WIDTH;
    if (x0 >= face && s.ballX < face && overlapsPaddle(s.ballY, s.opponentY)) {
      s.ballX = face;
      bounce(s, s.opponentY, true);
    }
  }
  // A point when the ball has left the screen.
  if (s.ballX >= 160) {
    s.opponentScore++;
    s.serveToAgent = true;
    s.serveTimer = SERVE_DELAY;
    return -1;
  }
  if (s.ballX <= -BALL_WIDTH) {
    s.agentScore++;
    s.serveToAgent = false;
    s.serveTimer = SERVE_DELAY;
    return 1;
  }
  return 0;
}

/**
 * The start of a Pong game: paddles in the middle, 0:0, the first serve after
 * {@linkcode SERVE_DELAY} frames toward the agent.
 * @returns A fresh state.
 */
export function newPongState(): PongState {
  const mid = (PADDLE_MIN_Y + PADDLE_MAX_Y) / 2;
  return {
    agentY: mid,
    agentV: 0,
    opponentY: mid,
    ballX: SERVE_X,
    ballY: (FIELD_TOP + FIELD_BOTTOM - BALL_HEIGHT) / 2,
    ballVX: 0,
    ballVY: 0,
    serveTimer: SERVE_DELAY,
    serveToAgent: true,
    agentScore: 0,
    opponentScore: 0,
  };
}

/** The rules of Pong for {@linkcode GameVectorEnv}. */
export const PONG_RULES: GameRules<PongState> = Object.freeze({
  name: "pong",
  actions: PONG_ACTIONS,
  background: BACKGROUND,
  maxSprites: 3,
  hudRegion: PONG_HUD,
  newEpisode: (_rng: Rng) => newPongState(),
  step: stepPong,
  isOver: (s: PongState) => s.agentScore >= WINNING_SCORE || s.opponentScore >= WINNING_SCORE,
  sprites(s: PongState, out: Int32Array): number {
    out[0] = OPPONENT_X;
    out[1] = Math.round(s.opponentY);
    out[2] = PADDLE_WIDTH;
    out[3] = PADDLE_HEIGHT;
    out[4] = PONG_OPPONENT;
    out[5] = AGENT_X;
    out[6] = Math.round(s.agentY);
    out[7] = PADDLE_WIDTH;
    out[8] = PADDLE_HEIGHT;
    out[9] = PONG_AGENT;
    if (s.serveTimer > 0) return 2;
    out[10] = Math.round(s.ballX);
    out[11] = Math.round(s.ballY);
    out[12] = BALL_WIDTH;
    out[13] = BALL_HEIGHT;
    out[14] = PONG_BALL;
    return 3;
  },
  hudKey: (s: PongState) => s.opponentScore * 256 + s.agentScore,
  drawHud(s: PongState, frames: Uint8Array, offset: number): void {
    drawNumber(
      frames,
      offset,
      s.opponentScore,
      OPPONENT_SCORE_RIGHT,
      SCORE_TOP,
      4,
      4,
      4,
      PONG_OPPONENT,
    );
    drawNumber(frames, offset, s.agentScore, AGENT_SCORE_RIGHT, SCORE_TOP, 4, 4, 4, PONG_AGENT);
  },
});

/** N parallel games of Pong: raw 210 x 160 RGB frames, one frame per step. */
export type PongEnv = GameVectorEnv<PongState>;

/**
 * Creates N parallel games of Pong.
 * @param options Parallel episodes, seed, maximum episode length in frames.
 * @returns The environment, its episodes started.
 * @throws {TypeError | RangeError} For bad options, naming the field.
 */
export function createPong(options: GameOptions): PongEnv {
  return new GameVectorEnv(PONG_RULES, options);
}
