/** Public for Spring's benefit but not API: may change in any release. */
package io.github.reliability4j.spring.internal;
