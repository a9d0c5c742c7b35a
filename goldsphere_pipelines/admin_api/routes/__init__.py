"""The admin API's endpoints, one router per part of the Connectivity section."""
