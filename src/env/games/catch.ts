/**
 * Catch, a small task to check a learner quickly, drawn in the same raw frame format as Pong
 * (210 x 160 RGB, Pong's colours): a white ball of {@linkcode CATCH_BALL_WIDTH} x
 * {@linkcode CATCH_BALL_HEIGHT} pixels falls straight down at {@linkcode FALL_SPEED} rows per frame
 * from a random column at the top; the agent moves a green paddle of {@linkcode CATCH_PADDLE_WIDTH}
 * x {@linkcode CATCH_PADDLE_HEIGHT} pixels along the bottom at {@linkcode CATCH_PADDLE_SPEED}
 * columns per frame (actions NOOP, LEFT, RIGHT). When the ball reaches the paddle's row it gives +1
 * if it overlaps the paddle (a catch) and -1 otherwise (a miss), and the next ball starts at the
 * top; an episode is {@linkcode BALLS_PER_EPISODE} balls ({@linkcode FRAMES_PER_BALL} frames each).
 * The paddle can reach any column within a ball's fall, so the best score is +10; a uniformly
 * random policy scores about -6. No Deno API here: it runs in browsers and workers.
 *
 * @module
 */
import type { Rng } from "../../util/rng.ts";
import { FRAME_WIDTH, makeBackground } from "./frame.ts";
import { type GameOptions, type GameRules, GameVectorEnv } from "./game_env.ts";
import { PONG_AGENT, PONG_BACKGROUND, PONG_BALL } from "./pong.ts";

/** The action set of Catch. */
export const CATCH_ACTIONS: readonly string[] = Object.freeze(["NOOP", "LEFT", "RIGHT"]);

/** Ball width in columns. */
export const CATCH_BALL_WIDTH = 8;
/** Ball height in rows. */
export const CATCH_BALL_HEIGHT = 10;
/** Paddle width in columns. */
export const CATCH_PADDLE_WIDTH = 24;
/** Paddle height in rows. */
export const CATCH_PADDLE_HEIGHT = 8;
/** Top row of the paddle. */
export const CATCH_PADDLE_Y = 186;
/** Top row of a ball when it appears. */
export const BALL_START_Y = 16;
/** Rows a ball falls per frame. */
export const FALL_SPEED = 2;
/** Columns the paddle moves per frame. */
export const CATCH_PADDLE_SPEED = 2;
/** Balls per episode. */
export const BALLS_PER_EPISODE = 10;
/** Frames from a ball's appearance to its catch or miss. */
export const FRAMES_PER_BALL: number = Math.ceil(
  (CATCH_PADDLE_Y - CATCH_BALL_HEIGHT - BALL_START_Y) / FALL_SPEED,
);
/** The rightmost left column of the paddle. */
export const CATCH_PADDLE_MAX_X: number = FRAME_WIDTH - CATCH_PADDLE_WIDTH;
/** The rightmost left column of a ball. */
export const CATCH_BALL_MAX_X: number = FRAME_WIDTH - CATCH_BALL_WIDTH;

/** The state of one Catch episode (positions are top-left corners, in pixels). */
export interface CatchState {
  /** Left column of the paddle. */
  paddleX: number;
  /** Left column of the falling ball. */
  ballX: number;
  /** Top row of the falling ball. */
  ballY: number;
  /** Balls caught or missed so far. */
  balls: number;
  /** Balls caught so far. */
  caught: number;
}

/**
 * Advances a Catch state by one frame: move the paddle, let the ball fall, score it when it reaches
 * the paddle's row, and drop the next one.
 * @param s The state, changed in place.
 * @param action An index into {@linkcode CATCH_ACTIONS}.
 * @param rng The episode's generator (for the next ball's column).
 * @returns +1 for a catch, -1 for a miss, else 0.
 */
export function stepCatch(s: CatchState, action: number, rng: Rng): number {
  if (action === 1) s.paddleX = Math.max(0, s.paddleX - CATCH_PADDLE_SPEED);
  else if (action === 2) s.paddleX = Math.min(CATCH_PADDLE_MAX_X, s.paddleX + CATCH_PADDLE_SPEED);
  s.ballY += FALL_SPEED;
  if (s.ballY + CATCH_BALL_HEIGHT < CATCH_PADDLE_Y) return 0;
  const caught = s.ballX < s.paddleX + CATCH_PADDLE_WIDTH && s.ballX + CATCH_BALL_WIDTH > s.paddleX;
  s.balls++;
  if (caught) s.caught++;
  if (s.balls < BALLS_PER_EPISODE) dropBall(s, rng);
  return caught ? 1 : -1;
}

function dropBall(s: CatchState, rng: Rng): void {
  s.ballX = rng.int(CATCH_BALL_MAX_X + 1);
  s.ballY = BALL_START_Y;
}

/**
 * The start of a Catch episode: the paddle in the middle, the first ball at a random column.
 * @param rng The episode's generator.
 * @returns A fresh state.
 */
export function newCatchState(rng: Rng): CatchState {
  const s: CatchState = {
    paddleX: CATCH_PADDLE_MAX_X / 2,
    ballX: 0,
    ballY: BALL_START_Y,
    balls: 0,
    caught: 0,
  };
  dropBall(s, rng);
  return s;
}

/** The rules of Catch for {@linkcode GameVectorEnv}. */
export const CATCH_RULES: GameRules<CatchState> = Object.freeze({
  name: "catch",
  actions: CATCH_ACTIONS,
  background: makeBackground(PONG_BACKGROUND),
  maxSprites: 2,
  hudRegion: null,
  newEpisode: newCatchState,
  step: stepCatch,
  isOver: (s: CatchState) => s.balls >= BALLS_PER_EPISODE,
  sprites(s: CatchState, out: Int32Array): number {
    out[0] = s.paddleX;
    out[1] = CATCH_PADDLE_Y;
    out[2] = CATCH_PADDLE_WIDTH;
    out[3] = CATCH_PADDLE_HEIGHT;
    out[4] = PONG_AGENT;
    out[5] = s.ballX;
    out[6] = s.ballY;
    out[7] = CATCH_BALL_WIDTH;
    out[8] = CATCH_BALL_HEIGHT;
    out[9] = PONG_BALL;
    return 2;
  },
  hudKey: () => 0,
  drawHud(): void {},
});

/** N parallel episodes of Catch: raw 210 x 160 RGB frames, one frame per step. */
export type CatchEnv = GameVectorEnv<CatchState>;

/**
 * Creates N parallel episodes of Catch.
 * @param options Parallel episodes, seed, maximum episode length in frames.
 * @returns The environment, its episodes started.
 * @throws {TypeError | RangeError} For bad options, naming the field.
 */
export function createCatch(options: GameOptions): CatchEnv {
  return new GameVectorEnv(CATCH_RULES, options);
}
