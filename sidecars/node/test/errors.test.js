'use strict'
const test = require('node:test')
const assert = require('node:assert/strict')
const { NonRetryableError, RetryableError } = require('../src/errors')
const { toStepError, fromStepError } = require('../src/runner')
const publicApi = require('../src/index')

test('a thrown Error carries its class name, message and stack, and is retryable', () => {
  const err = toStepError(new TypeError('bad input'))
  assert.equal(err.type, 'TypeError')
  assert.equal(err.message, 'bad input')
  assert.match(err.stack, /^TypeError: bad input\n\s+at /)
  assert.equal(err.retryable, true)
  assert.equal(err.retryAfterSeconds, 0)
})

test('a user subclass is named by its constructor even without setting name', () => {
  class PaymentDeclined extends Error {}
  assert.equal(toStepError(new PaymentDeclined('no')).type, 'PaymentDeclined')
})

test('NonRetryableError is not retryable', () => {
  const err = toStepError(new NonRetryableError('give up'))
  assert.equal(err.type, 'NonRetryableError')
  assert.equal(err.retryable, false)
})

test('RetryableError carries retryAfter seconds, positional or as an option', () => {
  assert.equal(toStepError(new RetryableError('later', 2.5)).retryAfterSeconds, 2.5)
  assert.equal(toStepError(new RetryableError('later', { retryAfter: 7 })).retryAfterSeconds, 7)
  const plain = toStepError(new RetryableError('later'))
  assert.equal(plain.retryable, true)
  assert.equal(plain.retryAfterSeconds, 0)
})

test('retry intent is read from properties, so look-alike classes work', () => {
  const err = Object.assign(new Error('x'), { retryable: false })
  assert.equal(toStepError(err).retryable, false)
})

test('throwing a non-Error still gives a StepError', () => {
  assert.deepEqual(toStepError('just text'), { type: 'Error', message: 'just text', stack: '', retryable: true, retryAfterSeconds: 0 })
  assert.equal(toStepError(undefined).message, 'undefined')
})

test('a host StepError becomes an Error whose type survives a round trip', () => {
  const err = fromStepError({ type: 'InvalidArgument', message: 'emit needs a topic', retryable: true, retryAfterSeconds: 0 })
  assert.equal(err.message, 'emit needs a topic')
  assert.equal(toStepError(err).type, 'InvalidArgument')
})

test('the package main exports the error classes', () => {
  assert.equal(publicApi.NonRetryableError, NonRetryableError)
  assert.equal(publicApi.RetryableError, RetryableError)
})
