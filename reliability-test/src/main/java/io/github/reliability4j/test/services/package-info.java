/**
 * Checks for the services on this project's development and CI machines; see {@link
 * io.github.reliability4j.test.services.Services}.
 */
package io.github.reliability4j.test.services;
