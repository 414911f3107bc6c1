import { HttpCode, HttpStatus, Param, ParseUUIDPipe, Type } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { ApiPaginatedResponse, stacked } from '../decorators';

/** A route's words in the OpenAPI document: a summary alone, or a summary and a description. */
export type RouteText = string | { summary: string; description?: string };

/** What a route answers: a class, or `[class]` for a bare array of it. */
type Body = Type<unknown> | [Type<unknown>];

const operation = (text: RouteText) => ApiOperation(typeof text === 'string' ? { summary: text } : text);

/**
 * A route's words and its success answer, one call per route: the status the route answers with
 * (`HttpCode`) and the one the document declares are written once, so they cannot drift apart.
 * Extra responses (409, 413, …) and the auth decorator stay beside it on the handler.
 */
export const Answers = {
  /** 200 with `body` (a POST answers 200 too). */
  ok: (body: Body, text: RouteText) => stacked(HttpCode(HttpStatus.OK), operation(text), ApiOkResponse({ type: body })),
  /** 201 with `body`. */
  created: (body: Body, text: RouteText) =>
    stacked(HttpCode(HttpStatus.CREATED), operation(text), ApiCreatedResponse({ type: body })),
  /** 202 with `body`; `description` says what it is. */
  accepted: (body: Body, text: RouteText, description?: string) =>
    stacked(HttpCode(HttpStatus.ACCEPTED), operation(text), ApiAcceptedResponse({ type: body, description })),
  /** 204, no body. */
  noContent: (text: RouteText, description?: string) =>
    stacked(HttpCode(HttpStatus.NO_CONTENT), operation(text), ApiNoContentResponse(description ? { description } : {})),
  /** 200 with a `{items, total, limit, offset}` page of `item`. */
  page: (item: Type<unknown>, text: RouteText) => stacked(operation(text), ApiPaginatedResponse(item)),
};

const uuidV4 = new ParseUUIDPipe({ version: '4', errorHttpStatusCode: 422 });

/** The path parameter `name`, a v4 UUID; anything else is a 422. */
export const UuidParam = (name: string) => Param(name, uuidV4);
