# Redis's own jemalloc builds, as backends of their own (allocators/README.md
# "Redis's jemalloc"): included by the top CMakeLists.txt after
# fragsim_backend() is defined.
#
#  jemalloc-redis      Redis 7.0.15's bundled jemalloc 5.2.1 (deps/jemalloc,
#                      with Redis's je_get_defrag_hint), configured as Redis's
#                      deps/Makefile does: 8-byte quantum, je_ prefix.
#  jemalloc-5.3-q8     Debian's jemalloc 5.3.0 source configured as Redis 7.2's
#                      deps/Makefile configures its bundled 5.3.0.
#
# The sources are Debian source packages (fetch.sh), unpacked under
# FRAGSIM_DEPS_DIR/src; each library is built once into FRAGSIM_DEPS_DIR
# (build.sh, which does nothing when its stamp matches), so a second build
# tree given the same FRAGSIM_DEPS_DIR (the sanitizer build in .ci/run)
# reuses them.
set(FRAGSIM_DEPS_DIR "${CMAKE_BINARY_DIR}/deps" CACHE PATH
    "Where the Redis and jemalloc source packages are unpacked and built")
set(FRAGSIM_REDIS_SRC "${FRAGSIM_DEPS_DIR}/src/redis-7.0.15")
set(FRAGSIM_JEMALLOC53_SRC "${FRAGSIM_DEPS_DIR}/src/jemalloc-5.3.0")
set(rj_dir "${CMAKE_CURRENT_SOURCE_DIR}/allocators/redis-jemalloc")

if(EXISTS "${FRAGSIM_REDIS_SRC}/deps/jemalloc/configure" AND EXISTS "${FRAGSIM_JEMALLOC53_SRC}/configure")
  set(rj_default ON)
else()
  find_program(FRAGSIM_APT_GET apt-get)
  find_program(FRAGSIM_DPKG_SOURCE dpkg-source)
  if(FRAGSIM_APT_GET AND FRAGSIM_DPKG_SOURCE)
    set(rj_default ON)
  else()
    set(rj_default OFF)
    message(STATUS "fragsim: Redis's jemalloc builds off by default: their sources are not under "
                   "${FRAGSIM_DEPS_DIR}/src and cannot be fetched (apt-get source needs dpkg-dev)")
  endif()
endif()
option(FRAGSIM_REDIS_JEMALLOC
       "Build jemalloc-redis and jemalloc-5.3-q8 from the Redis and jemalloc source packages" ${rj_default})

set(FRAGSIM_REDIS_SOURCES_OK FALSE)
if(FRAGSIM_REDIS_JEMALLOC)
  if(NOT EXISTS "${FRAGSIM_REDIS_SRC}/deps/jemalloc/configure" OR NOT EXISTS "${FRAGSIM_JEMALLOC53_SRC}/configure")
    message(STATUS "fragsim: fetching the redis and jemalloc source packages into ${FRAGSIM_DEPS_DIR}/src")
    execute_process(COMMAND sh ${rj_dir}/fetch.sh ${FRAGSIM_DEPS_DIR}/src
                    RESULT_VARIABLE rj_rc OUTPUT_VARIABLE rj_out ERROR_VARIABLE rj_out)
    if(NOT rj_rc EQUAL 0)
      string(STRIP "${rj_out}" rj_out)
      message(STATUS "fragsim: could not fetch the sources (${rj_out})")
    endif()
  endif()
  if(EXISTS "${FRAGSIM_REDIS_SRC}/deps/jemalloc/configure" AND EXISTS "${FRAGSIM_JEMALLOC53_SRC}/configure")
    set(FRAGSIM_REDIS_SOURCES_OK TRUE)
  endif()
endif()

# fragsim_redis_jemalloc(NAME SRC VERSION DESCRIPTION [CONFIGURE_FLAG...]):
# builds that jemalloc (lg-quantum 3, prefix je_) and the backend NAME on it:
# allocators/backend_jemalloc.c compiled with JEMALLOC_MANGLE against its
# header.
function(fragsim_redis_jemalloc name src version description)
  set(out "${FRAGSIM_DEPS_DIR}/${name}")
  add_custom_command(
    OUTPUT ${out}/.fragsim-built
    BYPRODUCTS ${out}/lib/libjemalloc.a
    COMMAND sh ${rj_dir}/build.sh ${src} ${out} ${version} 3 ${ARGN}
    DEPENDS ${rj_dir}/build.sh
    COMMENT "Building ${name}: jemalloc ${version}, lg-quantum 3, prefix je_ (a few minutes, once)"
    VERBATIM)
  add_custom_target(${name}-lib DEPENDS ${out}/.fragsim-built)
  add_library(fragsim-lib-${name} INTERFACE)
  target_include_directories(fragsim-lib-${name} INTERFACE ${out}/include)
  target_compile_definitions(fragsim-lib-${name} INTERFACE JEMALLOC_MANGLE
    FRAGSIM_JE_NAME="${name}" FRAGSIM_JE_DESCRIPTION="${description}")
  target_link_libraries(fragsim-lib-${name} INTERFACE ${out}/lib/libjemalloc.a Threads::Threads
    m ${CMAKE_DL_LIBS})
  fragsim_backend(${name} allocators/backend_jemalloc.c fragsim-lib-${name})
  add_dependencies(fragsim-${name} ${name}-lib)
  if(TARGET test_alloc_stats_${name})
    add_dependencies(test_alloc_stats_${name} ${name}-lib)
  endif()
  set(FRAGSIM_BACKENDS ${FRAGSIM_BACKENDS} PARENT_SCOPE)
endfunction()

if(FRAGSIM_REDIS_SOURCES_OK)
  fragsim_redis_jemalloc(jemalloc-redis ${FRAGSIM_REDIS_SRC}/deps/jemalloc 5.2.1-0-g0
    "Redis 7.0's bundled jemalloc 5.2.1 (8-byte quantum, je_get_defrag_hint)")
  fragsim_redis_jemalloc(jemalloc-5.3-q8 ${FRAGSIM_JEMALLOC53_SRC} 5.3.0-0-g0
    "jemalloc 5.3.0 as Redis 7.2 builds it (8-byte quantum)" --disable-cxx)
  message(STATUS "fragsim: Redis's jemalloc builds from ${FRAGSIM_DEPS_DIR}/src")
elseif(FRAGSIM_REDIS_JEMALLOC)
  fragsim_skip(jemalloc-redis "the redis source package could not be had (allocators/redis-jemalloc/fetch.sh)")
  fragsim_skip(jemalloc-5.3-q8 "the jemalloc source package could not be had (allocators/redis-jemalloc/fetch.sh)")
else()
  fragsim_skip(jemalloc-redis "FRAGSIM_REDIS_JEMALLOC is OFF")
  fragsim_skip(jemalloc-5.3-q8 "FRAGSIM_REDIS_JEMALLOC is OFF")
endif()

# Upstream redis-server 7.0.15 (build_redis.sh: `make MALLOC=jemalloc` in a
# copy of the same source tree), for the fidelity tests against the server
# most users run (tests/test_fidelity_upstream.c).  Built once into
# FRAGSIM_DEPS_DIR, a few minutes.
if(FRAGSIM_REDIS_SOURCES_OK)
  option(FRAGSIM_UPSTREAM_REDIS_SERVER
         "Build upstream redis-server 7.0.15 for the fidelity tests" ON)
else()
  set(FRAGSIM_UPSTREAM_REDIS_SERVER OFF)
endif()
if(FRAGSIM_UPSTREAM_REDIS_SERVER)
  set(FRAGSIM_UPSTREAM_REDIS "${FRAGSIM_DEPS_DIR}/redis-server-7.0.15/src/redis-server")
  add_custom_command(
    OUTPUT ${FRAGSIM_DEPS_DIR}/redis-server-7.0.15/.fragsim-built
    BYPRODUCTS ${FRAGSIM_UPSTREAM_REDIS}
    COMMAND sh ${rj_dir}/build_redis.sh ${FRAGSIM_REDIS_SRC} ${FRAGSIM_DEPS_DIR}/redis-server-7.0.15
    DEPENDS ${rj_dir}/build_redis.sh
    COMMENT "Building upstream redis-server 7.0.15 (make MALLOC=jemalloc; a few minutes, once)"
    VERBATIM)
  add_custom_target(redis-server-upstream ALL DEPENDS ${FRAGSIM_DEPS_DIR}/redis-server-7.0.15/.fragsim-built)
  message(STATUS "fragsim: upstream redis-server for the fidelity tests: ${FRAGSIM_UPSTREAM_REDIS}")
else()
  message(STATUS "fragsim: no upstream redis-server (needs the redis source package): "
                 "test_fidelity_upstream not built")
endif()
