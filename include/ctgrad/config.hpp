// ctgrad/config.hpp: version and the few switches the library has.
#ifndef CTGRAD_CONFIG_HPP
#define CTGRAD_CONFIG_HPP

#define CTGRAD_VERSION_MAJOR 0
#define CTGRAD_VERSION_MINOR 1
#define CTGRAD_VERSION_PATCH 0

#endif // CTGRAD_CONFIG_HPP
